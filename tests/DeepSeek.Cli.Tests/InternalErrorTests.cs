namespace DeepSeek.Cli.Tests;

/// <summary>
/// DSB0099 through <c>DeepSeekCli.Guard</c>, the wrapper every verb runs its work in: an exception that is not a diagnostic,
/// and a cancellation, each become one error line and exit code 1.
/// </summary>
public sealed class InternalErrorTests
{
    [Fact]
    public void An_unexpected_exception_is_one_DSB0099_line_with_its_type_and_message()
    {
        using var error = new StringWriter();

        var code = DeepSeekCli.Guard(error, "model.onnx", () => throw new InvalidOperationException("Sequence contains no elements.\nsecond line"));

        Assert.Equal(DeepSeekCli.Failure, code);
        Assert.Equal(
            "error DSB0099: model.onnx: InvalidOperationException: Sequence contains no elements. second line — this is a bug in DeepSeek; please report it with the model that caused it",
            error.ToString().TrimEnd('\n'));
    }

    [Fact]
    public void A_cancellation_is_one_DSB0099_line_that_says_nothing_was_written()
    {
        using var error = new StringWriter();
        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();

        var code = DeepSeekCli.Guard(error, "model.onnx", () =>
        {
            cancelled.Token.ThrowIfCancellationRequested();
            return DeepSeekCli.Success;
        });

        Assert.Equal(DeepSeekCli.Failure, code);
        Assert.Equal("error DSB0099: model.onnx: cancelled — nothing was written; run the command again", error.ToString().TrimEnd('\n'));
    }

    [Fact]
    public void A_diagnostic_keeps_its_own_id_and_success_passes_through()
    {
        using var error = new StringWriter();
        Assert.Equal(DeepSeekCli.Success, DeepSeekCli.Guard(error, "model.onnx", () => DeepSeekCli.Success));
        Assert.Empty(error.ToString());

        var code = DeepSeekCli.Guard(error, "model.onnx", () => throw new DeepSeek.Onnx.Diagnostics.DeepSeekException(DeepSeek.Onnx.Diagnostics.DiagnosticIds.WriteFailed, "out.onnx", "disk full"));
        Assert.Equal(DeepSeekCli.Failure, code);
        Assert.StartsWith("error DSB0040: out.onnx: disk full — ", error.ToString(), StringComparison.Ordinal);
    }
}
