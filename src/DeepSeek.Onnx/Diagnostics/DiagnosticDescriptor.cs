namespace DeepSeek.Onnx.Diagnostics;

/// <summary>One diagnostic the engine can report: its id, a short title and the default advice on what to do.</summary>
/// <param name="Id">The stable id, <c>DSB0xxx</c> for build and engine diagnostics.</param>
/// <param name="Title">A short title, as in docs/diagnostics.md.</param>
/// <param name="Action">What the user should do, used when the site that reports the diagnostic has nothing more specific.</param>
public sealed record DiagnosticDescriptor(string Id, string Title, string Action)
{
    /// <summary>The help page of this diagnostic.</summary>
    public string HelpLink => ProductLinks.DiagnosticHelp(Id);
}
