namespace DeepSeek.Generators.Model
{
    /// <summary>A diagnostic as data (descriptor id, message arguments, file), so that it travels through the pipeline and caches.</summary>
    internal sealed record DiagnosticInfo(string Id, string File, EquatableArray<string> Arguments);
}
