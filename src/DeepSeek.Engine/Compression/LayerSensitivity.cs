namespace DeepSeek.Engine.Compression;

/// <summary>What static INT8's mixed-precision search measured for one layer or activation: the model's fidelity with only
/// this layer's weights in int8 (fake-quantized in the float model), or only this activation quantized.</summary>
/// <param name="Layer">The node's name, or the activation's (a tensor between layers).</param>
/// <param name="OpType">Its operator (Conv, MatMul), or <see cref="MixedPrecision.ActivationKind"/>.</param>
/// <param name="Cosine">The mean cosine to the original (the worst output's) with only this layer or activation quantized.</param>
/// <param name="KeptInFloat">Whether the shipped model keeps it in float.</param>
public sealed record LayerSensitivity(string Layer, string OpType, double Cosine, bool KeptInFloat);
