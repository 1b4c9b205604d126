namespace DeepSeek.Engine.Profiles;

/// <summary>How a profile runs int8: the activation type ONNX Runtime's kernels take and how many bits weights may use.</summary>
/// <param name="Activations"><c>uint8</c> (U8S8, x64) or <c>int8</c> (S8S8, arm64).</param>
/// <param name="WeightBits">7 where full-range int8 weights would saturate the target's kernels (AVX2 without VNNI), else 8.</param>
/// <param name="SessionOptions">ONNX Runtime session config entries an int8 model needs on this target.</param>
public sealed record Int8Form(string Activations, int WeightBits, IReadOnlyDictionary<string, string> SessionOptions)
{
    /// <summary>Whether activations are unsigned (U8S8).</summary>
    public bool UnsignedActivations => Activations == "uint8";
}

/// <summary>A hardware target: which runtime identifiers default to it, what it can do and the recipe used for it.</summary>
/// <param name="Name">The profile's name (<c>x64-avx2</c>...).</param>
/// <param name="Rids">Runtime identifiers for which this profile is the default.</param>
/// <param name="Description">What the target can do, for <c>deepseek profiles</c>.</param>
/// <param name="DefaultRecipe">The recipe that <c>Quantize="auto"</c> starts from.</param>
/// <param name="Int8">The int8 operator form.</param>
/// <param name="SizeBudgetMB">
/// An upper bound on the compressed model's size in MB (10^6 bytes), when the target has one: a compressed model over it
/// fails with DSB0068 (with <c>auto</c>, the next candidate recipe is tried).
/// </param>
public sealed record HardwareProfile(
    string Name,
    IReadOnlyList<string> Rids,
    string Description,
    string DefaultRecipe,
    Int8Form Int8,
    double? SizeBudgetMB)
{
    /// <summary>The INT4 accuracy level of CPU profiles: int8 compute (activations quantized per block at run time).</summary>
    public const int CpuInt4AccuracyLevel = 4;

    /// <summary>MatMulNBits' <c>accuracy_level</c> for this target (<c>int4.accuracyLevel</c>): 4 (int8 compute) on CPUs,
    /// where the fp32 path dequantizes every weight at every call; 0 (the runtime's choice) on GPUs.</summary>
    public int Int4AccuracyLevel { get; init; } = CpuInt4AccuracyLevel;
}
