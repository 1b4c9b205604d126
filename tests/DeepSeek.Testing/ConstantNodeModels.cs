using DeepSeek.Onnx.IO;
using DeepSeek.Onnx.Model;
using DeepSeek.Onnx.Protobuf;

namespace DeepSeek.Testing;

/// <summary>
/// Real models re-stored as PaddlePaddle and some other exporters store them: every weight the value of a <c>Constant</c> node
/// instead of an initializer (the graph and its outputs unchanged).
/// </summary>
public static class ConstantNodeModels
{
    private static readonly Lazy<string> ResNet = new(() => Write(TestAssets.ResNet18, "resnet18-constant-nodes.onnx"));
    private static readonly Lazy<string> Mlp = new(() => Write(TestAssets.MnistMlp, "mnist-mlp-constant-nodes.onnx"));

    /// <summary>ResNet-18 (NuGet Microsoft.ML.DnnImageFeaturizer.ResNet18) with its 110 weights in Constant nodes.</summary>
    public static string ResNet18 => ResNet.Value;

    /// <summary>The project's MNIST MLP with its weights in Constant nodes.</summary>
    public static string MnistMlp => Mlp.Value;

    private static string Write(string source, string name) => DerivedModelFile.WriteOnce(Path.Combine(Path.GetTempPath(), "deepseek-tests", name), () =>
    {
        var model = ModelReader.Read(source);
        var graph = model.Proto.Graph;
        var weights = graph.Initializer.ToList();
        var names = weights.Select(w => w.Name).ToHashSet(StringComparer.Ordinal);
        graph.Initializer.Clear();
        for (var i = graph.Input.Count - 1; i >= 0; i--)
        {
            if (names.Contains(graph.Input[i].Name))
            {
                graph.Input.RemoveAt(i);
            }
        }

        var constants = weights.Select(w =>
        {
            var value = w.Clone();
            value.Name = "";
            var node = DerivedModelFile.Node("const_" + w.Name, "Constant", [], [w.Name]);
            node.Attribute.Add(new AttributeProto { Name = "value", Type = AttributeProto.Types.AttributeType.Tensor, T = value });
            return node;
        }).ToList();
        for (var i = constants.Count - 1; i >= 0; i--)
        {
            graph.Node.Insert(0, constants[i]);
        }

        model.Proto.IrVersion = Math.Max(model.Proto.IrVersion, 4);
        return model;
    });
}
