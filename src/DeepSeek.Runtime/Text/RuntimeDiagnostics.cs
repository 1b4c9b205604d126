namespace DeepSeek.Runtime.Text;

/// <summary>
/// The DeepSeek.Runtime diagnostic ids (<c>DSR</c>, docs/diagnostics.md) and the one-line message shape they share with
/// the build's: <c>DSRxxxx: &lt;file or spec&gt;: &lt;what is wrong&gt; — &lt;what to do&gt;</c>.
/// </summary>
internal static class RuntimeDiagnostics
{
    /// <summary>The tokenizer spec (<c>Preprocess</c> metadata) is not one <see cref="TextTokenizer.FromSpec"/> reads.</summary>
    public const string InvalidSpec = "DSR0001";

    /// <summary>A path in the spec is absolute, has a <c>..</c> segment, or is a link that leaves the base directory.</summary>
    public const string PathOutsideBase = "DSR0002";

    /// <summary>A file the spec names does not exist.</summary>
    public const string FileMissing = "DSR0003";

    /// <summary>A file the spec names exists but the tokenizer library cannot read it, or it lacks a token the kind needs.</summary>
    public const string FileInvalid = "DSR0004";

    /// <summary>Formats <c>id: subject: problem — action</c>, with line breaks in any part made spaces.</summary>
    public static string Format(string id, string subject, string problem, string action)
        => $"{id}: {OneLine(subject)}: {OneLine(problem).TrimEnd('.')} \u2014 {OneLine(action)}";

    private static string OneLine(string text) => text.Replace("\r\n", " ", StringComparison.Ordinal).Replace('\n', ' ').Replace('\r', ' ');
}
