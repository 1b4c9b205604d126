namespace DeepSeek.Torch.Export;

/// <summary>
/// A module's place in the exported tree: <see cref="Display"/> for messages (<c>features.2</c>, the root is
/// <c>(root)</c>) and <see cref="Stem"/> for the ONNX names derived from it (<c>features_2</c>).
/// </summary>
internal readonly record struct ModulePath(string Value, string RootStem)
{
    public string Display => Value.Length == 0 ? "(root)" : Value;

    public string Stem => Value.Length == 0 ? RootStem : GraphBuilder.Sanitize(Value);

    public ModulePath Child(string name) => this with { Value = Value.Length == 0 ? name : Value + "." + name };
}
