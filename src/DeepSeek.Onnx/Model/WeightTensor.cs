namespace DeepSeek.Onnx.Model;

/// <summary>Where a weight tensor is kept in a model.</summary>
public enum WeightLocation
{
    /// <summary>A graph initializer with its data inside the .onnx file.</summary>
    Initializer,
    /// <summary>A graph initializer with its data in an external file.</summary>
    External,
    /// <summary>The value of a <c>Constant</c> node.</summary>
    ConstantNode,
    /// <summary>A sparse initializer (values counted).</summary>
    SparseInitializer,
}

/// <summary>One weight tensor of a model, wherever it lives.</summary>
/// <param name="Name">The value name the graph uses for it.</param>
/// <param name="DataType">The element type (<c>TensorProto.DataType</c>).</param>
/// <param name="Dims">The declared dims.</param>
/// <param name="Elements">The element count.</param>
/// <param name="Bytes">The bytes its data takes (for strings, the sum of their lengths).</param>
/// <param name="Location">Initializer, external file, Constant node or sparse initializer.</param>
/// <param name="ExternalFile">For external data, the location the model names.</param>
/// <param name="GraphPath">The graph that holds it: <c>main</c>, or <c>main/NodeName.body</c> for subgraphs.</param>
public sealed record WeightTensor(
    string Name,
    int DataType,
    IReadOnlyList<long> Dims,
    long Elements,
    long Bytes,
    WeightLocation Location,
    string? ExternalFile,
    string GraphPath);
