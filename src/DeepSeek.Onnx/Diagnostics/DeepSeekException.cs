namespace DeepSeek.Onnx.Diagnostics;

/// <summary>
/// A failure the user can act on: a diagnostic id, the file it concerns, what is wrong and what to do.
/// Rendered as one line: <c>error DSB0xxx: &lt;file&gt;: &lt;what is wrong&gt; — &lt;what to do&gt;</c>.
/// </summary>
public sealed class DeepSeekException : Exception
{
    /// <summary>Creates the exception.</summary>
    public DeepSeekException(DiagnosticDescriptor descriptor, string file, string problem, string? action = null, Exception? inner = null)
        : base(Render(descriptor, file, problem, action), inner)
    {
        Descriptor = descriptor;
        File = file;
        Problem = problem;
        Action = action ?? descriptor.Action;
    }

    /// <summary>What was reported.</summary>
    public DiagnosticDescriptor Descriptor { get; }

    /// <summary>The diagnostic id, for example <c>DSB0004</c>.</summary>
    public string Id => Descriptor.Id;

    /// <summary>The file concerned, as the user named it.</summary>
    public string File { get; }

    /// <summary>What is wrong.</summary>
    public string Problem { get; }

    /// <summary>What to do about it.</summary>
    public string Action { get; }

    /// <summary>The one-line form that tools print: <c>error DSB0xxx: file: problem — action</c>.</summary>
    public string ToErrorLine() => "error " + Message;

    private static string Render(DiagnosticDescriptor descriptor, string file, string problem, string? action)
        => $"{descriptor.Id}: {OneLine(file)}: {OneLine(problem).TrimEnd('.')} — {OneLine(action ?? descriptor.Action)}";

    /// <summary>Keeps a message on one line whatever a model's strings hold.</summary>
    internal static string OneLine(string text)
    {
        if (text.AsSpan().IndexOfAny('\r', '\n') < 0)
        {
            return text;
        }

        return text.Replace("\r\n", " ", StringComparison.Ordinal).Replace('\n', ' ').Replace('\r', ' ');
    }
}
