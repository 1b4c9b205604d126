using DeepSeek.Onnx.IO;
using DeepSeek.Onnx.Protobuf;

namespace DeepSeek.Testing;

/// <summary>
/// arctic-embed-xs (<see cref="ArcticXs"/>) as a PyTorch export of a BERT with a pooler declares its outputs (the shapes issue
/// 16 met): last_hidden_state declared [batch_size, sequence_length, Addlast_hidden_state_dim_2], and a second output
/// <c>924</c> = Tanh of the first token's hidden state, declared [Tanh924_dim_0, 384]. Both are really [batch_size, ...]:
/// only running the model tells. Written once beside the extracted model.
/// </summary>
public static class ArcticXsExport
{
    private static readonly Lazy<string> Written = new(Write, LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>The path of the exported-style model (<c>exported.onnx</c> in <see cref="ArcticXs.Directory"/>).</summary>
    public static string ModelPath => Written.Value;

    private static string Write() => DerivedModelFile.WriteOnce(Path.Combine(ArcticXs.Instance.Directory, "exported.onnx"), () =>
    {
        var model = ModelReader.Read(ArcticXs.Instance.Model);
        var graph = model.Proto.Graph;
        var hidden = graph.Output.Single(o => o.Name == "last_hidden_state");
        hidden.Type.TensorType.Shape.Dim[2] = new TensorShapeProto.Types.Dimension { DimParam = "Addlast_hidden_state_dim_2" };
        var index = new TensorProto { Name = "pooler_index", DataType = (int)TensorProto.Types.DataType.Int64 };
        index.Int64Data.Add(0);
        graph.Initializer.Add(index);
        graph.Node.Add(Node("Gather", ["last_hidden_state", "pooler_index"], ["pooler_first"], new AttributeProto { Name = "axis", Type = AttributeProto.Types.AttributeType.Int, I = 1 }));
        graph.Node.Add(Node("Tanh", ["pooler_first"], ["924"]));
        graph.Output.Add(ModelBuilder.Value("924", ["Tanh924_dim_0", ArcticXs.HiddenSize]));
        return model;
    });

    private static NodeProto Node(string op, string[] inputs, string[] outputs, params AttributeProto[] attributes)
        => DerivedModelFile.Node("pooler_" + op, op, inputs, outputs, attributes);
}
