using static TorchSharp.torch;

namespace DeepSeek.Torch.Export;

/// <summary>
/// A value of the graph being exported: its ONNX name, TorchSharp's result for the sample input (which gives the shapes
/// that some exports need), and whether its first dimension is still the batch.
/// </summary>
internal readonly record struct ExportValue(string Name, Tensor Sample, bool HasBatch);

/// <summary>What every layer export shares: the graph being built and the target opset.</summary>
internal sealed record ExportContext(GraphBuilder Graph, int Opset);
