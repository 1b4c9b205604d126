namespace DeepSeek.Onnx.IO;

/// <summary>Options for <see cref="ModelReader"/>.</summary>
public sealed record ModelReadOptions
{
    /// <summary>The default options: full validation.</summary>
    public static ModelReadOptions Default { get; } = new();

    /// <summary>Check tensors, external data and graph structure after parsing (default true).</summary>
    public bool Validate { get; init; } = true;
}
