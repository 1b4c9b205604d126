namespace DeepSeek.Cli;

/// <summary>
/// Shows progress (calibrating 12/64..., int4-block 3/154: layer0_wq) on one rewritten line of stderr when a person is
/// watching; silent when stderr is redirected, so that scripts see only results and one-line errors; as <c>progress: </c>
/// lines when asked (<c>DEEPSEEK_PROGRESS=lines</c>: the build's tasks log them at low importance, <c>-v:detailed</c>).
/// </summary>
internal sealed class ProgressWriter(TextWriter error, bool interactive, bool lines = false) : IProgress<string>
{
    private int width;

    public void Report(string value)
    {
        if (lines)
        {
            error.WriteLine("progress: " + value);
            error.Flush();
            return;
        }

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
