using System.Threading.Channels;
using SharpLM.Inference;

namespace SharpLM.Serving;

/// <summary>
/// One completion to generate: the prompt's ids, the options, and the channel its pieces go out on (the last piece carries
/// the stop reason; a failure completes the channel with the exception). Cancelling <see cref="Cancel"/> (the client went
/// away) frees its slot at the next step.
/// </summary>
public sealed class GenerationJob(int[] prompt, GenerationOptions options, CancellationToken cancel)
{
    readonly Channel<StreamPiece> _pieces = Channel.CreateUnbounded<StreamPiece>(
        new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });

    public int[] Prompt { get; } = prompt;
    public GenerationOptions Options { get; } = options;
    public CancellationToken Cancel { get; } = cancel;
    public long EnqueuedTicks { get; } = Environment.TickCount64;

    public ChannelReader<StreamPiece> Pieces => _pieces.Reader;

    internal void Write(StreamPiece piece)
    {
        _pieces.Writer.TryWrite(piece);
        if (piece.Stop is not null) _pieces.Writer.TryComplete();
    }

    internal void Fail(Exception error) => _pieces.Writer.TryComplete(error);
}
