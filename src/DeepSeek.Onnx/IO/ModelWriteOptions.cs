namespace DeepSeek.Onnx.IO;

/// <summary>Where <see cref="ModelWriter"/> puts tensor data.</summary>
public enum ExternalDataMode
{
    /// <summary>
    /// Keep the model's own choice: tensors that are external stay external (in one file named after the new model),
    /// tensors of at least the threshold join them when the model has external data or would pass the 2 GB protobuf
    /// limit inline; any other model is written inline.
    /// </summary>
    Auto,

    /// <summary>Every tensor inside the .onnx file; fails with DSB0006 past 2 GB.</summary>
    Inline,

    /// <summary>Every tensor of at least <see cref="ModelWriteOptions.ExternalDataThreshold"/> bytes in one external file.</summary>
    SeparateFile,
}

/// <summary>Options for <see cref="ModelWriter"/>.</summary>
public sealed record ModelWriteOptions
{
    /// <summary>The default options.</summary>
    public static ModelWriteOptions Default { get; } = new();

    /// <summary>Where tensor data goes (default <see cref="ExternalDataMode.Auto"/>).</summary>
    public ExternalDataMode ExternalData { get; init; } = ExternalDataMode.Auto;

    /// <summary>The external data file's name, next to the model; default <c>&lt;model file name&gt;.data</c>.</summary>
    public string? ExternalDataFileName { get; init; }

    /// <summary>Tensors smaller than this stay inline when data is written externally (default 1 KiB).</summary>
    public long ExternalDataThreshold { get; init; } = 1024;

    /// <summary>Each external tensor starts at a multiple of this (default 4096, the page size, so that runtimes can map it).</summary>
    public int ExternalDataAlignment { get; init; } = 4096;
}
