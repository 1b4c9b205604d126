using DeepSeek.Onnx.Model;

namespace DeepSeek.Engine.Data;

/// <summary>Options for <see cref="DataSet.Load(string, IReadOnlyList{ValueInfo}, DataSetLoadOptions?)"/>.</summary>
public sealed record DataSetLoadOptions
{
    /// <summary>The default options.</summary>
    public static DataSetLoadOptions Default { get; } = new();

    /// <summary>The default of <see cref="MaxSamples"/>: 1,000,000.</summary>
    public const int DefaultMaxSamples = 1_000_000;

    /// <summary>The default of <see cref="MaxFiles"/>: 4,000,000.</summary>
    public const int DefaultMaxFiles = 4_000_000;

    /// <summary>The default of <see cref="MaxBytes"/>: 8 GiB.</summary>
    public const long DefaultMaxBytes = 8L << 30;

    /// <summary>The most samples a folder may hold (after batch files are split); more is DSB0056.</summary>
    public int MaxSamples { get; init; } = DefaultMaxSamples;

    /// <summary>The most data files (<c>.npy</c>, <c>.pb</c>) read from a folder; more is DSB0056.</summary>
    public int MaxFiles { get; init; } = DefaultMaxFiles;

    /// <summary>The most bytes of data files read from a folder, counted from the files' real sizes before reading; more is DSB0056.</summary>
    public long MaxBytes { get; init; } = DefaultMaxBytes;

    /// <summary>
    /// The model's outputs. When set, the reference outputs of the ONNX test-data layout are checked against them (names,
    /// element types, shapes) and an unnamed <c>output_K.pb</c> takes the name of output K. When null, reference outputs
    /// are taken as they are, and an unnamed one is keyed by its file name without the extension (<c>output_0</c>).
    /// </summary>
    public IReadOnlyList<ValueInfo>? ModelOutputs { get; init; }
}
