namespace DeepSeek.Torch;

/// <summary>
/// A DeepSeek.Torch failure the user can act on, with a stable diagnostic id (<c>DSB0070</c>–<c>DSB0079</c>). The
/// message is one line: <c>DSB00xx: &lt;module path&gt; ('&lt;type&gt;') &lt;what is wrong&gt; — &lt;what to do&gt;</c>;
/// <see cref="Exception.HelpLink"/> points at the id's entry in docs/diagnostics.md.
/// </summary>
public sealed class DeepSeekTorchException : Exception
{
    /// <summary>DSB0071: a module type that the ONNX exporter does not support.</summary>
    public const string UnsupportedModule = "DSB0071";

    /// <summary>DSB0072: a supported module type with a setting (or input) that the ONNX exporter does not support.</summary>
    public const string UnsupportedSetting = "DSB0072";

    /// <summary>DSB0074: a module whose parameters or buffers hold NaN or infinite values (the ONNX exporter refuses it).</summary>
    public const string NonFiniteWeights = "DSB0074";

    /// <summary>Creates the exception.</summary>
    /// <param name="diagnosticId">The diagnostic id, for example <c>DSB0071</c>.</param>
    /// <param name="modulePath">The module's path in the exported tree (<c>features.2</c>); the root is <c>(root)</c>.</param>
    /// <param name="moduleType">The module's type name.</param>
    /// <param name="problem">What is wrong, starting with a verb: <c>cannot be exported to ONNX</c>.</param>
    /// <param name="action">What to do.</param>
    public DeepSeekTorchException(string diagnosticId, string modulePath, string moduleType, string problem, string action)
        : base($"{diagnosticId}: {OneLine(modulePath)} ('{OneLine(moduleType)}') {OneLine(problem)} — {OneLine(action)}")
    {
        DiagnosticId = diagnosticId;
        ModulePath = modulePath;
        ModuleType = moduleType;
        HelpLink = ProductLinks.DiagnosticHelp(diagnosticId);
    }

    /// <summary>The diagnostic id, for example <c>DSB0071</c>.</summary>
    public string DiagnosticId { get; }

    /// <summary>The path of the module concerned in the exported tree.</summary>
    public string ModulePath { get; }

    /// <summary>The type name of the module concerned.</summary>
    public string ModuleType { get; }

    /// <summary>Keeps user-provided names (module names are free text) on one line, without control characters.</summary>
    private static string OneLine(string text)
        => string.Create(text.Length, text, static (span, source) =>
        {
            for (var i = 0; i < source.Length; i++)
            {
                span[i] = char.IsControl(source[i]) ? ' ' : source[i];
            }
        });
}
