namespace DeepSeek.Cli;

/// <summary>
/// Shows progress (calibrating 12/64...) on one rewritten line of stderr when a person is watching; silent when stderr is
/// redirected, so that scripts and the build see only results and one-line errors.
/// </summary>
internal sealed class ProgressWriter(TextWriter error, bool interactive) : IProgress<string>
{
    private int width;

    public void Report(string value)
    {
        if (!interactive)
        {
            return;
        }

        var line = value.Length > 100 ? value[..100] : value;
        error.Write("\r" + line.PadRight(width));
        width = line.Length;
        error.Flush();
    }
}
