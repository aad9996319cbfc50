using SharpLM.Evaluation;

namespace SharpLM.Tests.Evaluation;

public class AnswerCheckerTests
{
    [Theory]
    [InlineData("She sold 48+24 = 72 clips.\n#### 72", "...\n#### 72", true)]
    [InlineData("The answer is $1,234.", "#### 1234", true)]
    [InlineData("first 3 then 5", "#### 3", false)]
    [InlineData("#### 7 and later 9", "#### 7", true)]
    [InlineData("no number here", "#### 7", false)]
    public void Numeric_extraction_follows_gsm8k_final_answer(string answer, string reference, bool correct) =>
        Assert.Equal(correct, AnswerChecker.IsCorrect(answer, reference, AnswerMatch.Auto));

    [Fact]
    public void Exact_and_contains_normalise_case_space_and_trailing_punctuation()
    {
        Assert.True(AnswerChecker.IsCorrect("  Paris. ", "paris", AnswerMatch.Exact));
        Assert.False(AnswerChecker.IsCorrect("It is Paris.", "paris", AnswerMatch.Exact));
        Assert.True(AnswerChecker.IsCorrect("It is  Paris.", "paris", AnswerMatch.Contains));
        Assert.Equal(-2.5m, AnswerChecker.ExtractNumber("x = -2.5"));
    }
}
