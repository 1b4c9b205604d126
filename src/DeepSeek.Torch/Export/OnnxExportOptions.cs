namespace DeepSeek.Torch.Export;

/// <summary>Options for <see cref="OnnxExporter"/>.</summary>
public sealed record OnnxExportOptions
{
    /// <summary>The lowest opset the exporter writes (Softmax over one axis needs 13).</summary>
    public const int MinOpset = 13;

    /// <summary>The highest opset the exporter writes (ONNX Runtime 1.17 and later run it).</summary>
    public const int MaxOpset = 21;

    /// <summary>The default options.</summary>
    public static OnnxExportOptions Default { get; } = new();

    /// <summary>The graph input's name (default <c>input</c>).</summary>
    public string InputName { get; init; } = "input";

    /// <summary>The graph output's name (default <c>output</c>).</summary>
    public string OutputName { get; init; } = "output";

    /// <summary>The default-domain opset, from <see cref="MinOpset"/> to <see cref="MaxOpset"/> (default 17).</summary>
    public int Opset { get; init; } = 17;

    /// <summary>
    /// Whether the first dimension is symbolic (named <see cref="BatchDimensionName"/>) in the input and the output, so the
    /// model runs on any batch size (default <see langword="true"/>); otherwise every dimension is the sample's.
    /// </summary>
    public bool DynamicBatch { get; init; } = true;

    /// <summary>The symbolic batch dimension's name (default <c>batch</c>).</summary>
    public string BatchDimensionName { get; init; } = "batch";

    /// <summary>The model's producer name (default <c>DeepSeek.Torch</c>).</summary>
    public string ProducerName { get; init; } = "DeepSeek.Torch";

    /// <summary>The graph's name (default <c>main</c>).</summary>
    public string GraphName { get; init; } = "main";
}
