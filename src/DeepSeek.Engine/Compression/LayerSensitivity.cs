namespace DeepSeek.Engine.Compression;

/// <summary>What static INT8's mixed-precision search measured for one layer: the model's fidelity with only this layer's
/// weights in int8 (fake-quantized in the float model).</summary>
/// <param name="Layer">The node's name.</param>
/// <param name="OpType">Its operator (Conv, MatMul).</param>
/// <param name="Cosine">The mean cosine to the original (the worst output's) with only this layer quantized.</param>
/// <param name="KeptInFloat">Whether the shipped model keeps this layer's weights in float.</param>
public sealed record LayerSensitivity(string Layer, string OpType, double Cosine, bool KeptInFloat);
