namespace SharpLM.Serving;

/// <summary>An error the API answers in OpenAI's shape: <c>{"error": {"message", "type", "param", "code"}}</c> with an HTTP status.</summary>
public sealed class ApiException(int status, string message, string? param = null, string type = "invalid_request_error",
                                 string? code = null) : Exception(message)
{
    public int Status { get; } = status;
    public string? Param { get; } = param;
    public string Type { get; } = type;
    public string? Code { get; } = code;

    public static ApiException BadRequest(string param, string message) => new(400, $"{param}: {message}", param);
}
