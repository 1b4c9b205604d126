using DeepSeek.Onnx.IO;
using DeepSeek.Onnx.Protobuf;

namespace DeepSeek.Testing;

/// <summary>
/// Real models with heads added, so that every output kind the verifier knows has a real model behind it (issue 12):
/// <list type="bullet">
/// <item><see cref="ArcticXsWithHeads"/>: arctic-embed-xs plus a masked-language-model head tied to its word-embedding table
/// (<c>mlm_logits</c> = last_hidden_state × tableᵀ, [batch, sequence, 30522]: a language-model output) and a token-tagging head
/// (<c>token_tags</c> = Softmax(last_hidden_state × W + b), [batch, sequence, 9], W seeded: a sequence output);</item>
/// <item><see cref="ResNet18WithSegmentation"/>: ResNet-18 plus a 1×1 convolution over its last feature map
/// (<c>segmentation</c>, [1, 3, 7, 7] class scores per cell, seeded: a dense output) beside its pooled features.</item>
/// </list>
/// Each is written once, under a unique name renamed into place (test processes running at once never see a partial file).
/// </summary>
public static class ModelHeads
{
    /// <summary>The token-tagging head's labels.</summary>
    public const int Tags = 9;

    private static readonly Lazy<string> Arctic = new(WriteArcticXs, LazyThreadSafetyMode.ExecutionAndPublication);
    private static readonly Lazy<string> ResNet = new(WriteResNet18, LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>arctic-embed-xs with <c>mlm_logits</c> and <c>token_tags</c> outputs.</summary>
    public static string ArcticXsWithHeads => Arctic.Value;

    /// <summary>ResNet-18 with a <c>segmentation</c> output.</summary>
    public static string ResNet18WithSegmentation => ResNet.Value;

    private static string WriteArcticXs() => DerivedModelFile.WriteOnce(Path.Combine(ArcticXs.Instance.Directory, "with-heads.onnx"), () =>
    {
        var model = ModelReader.Read(ArcticXs.Instance.Model);
        var graph = model.Proto.Graph;
        var table = graph.Node.Single(n => n.OpType == "Gather" && n.Input[1] == "input_ids").Input[0];
        var width = ArcticXs.HiddenSize;
        graph.Node.Add(Node("Transpose", [table], ["mlm_table_t"], new AttributeProto { Name = "perm", Type = AttributeProto.Types.AttributeType.Ints, Ints = { 1, 0 } }));
        graph.Node.Add(Node("MatMul", ["last_hidden_state", "mlm_table_t"], ["mlm_logits"]));
        graph.Output.Add(ModelBuilder.Value("mlm_logits", ["batch_size", "sequence_length", 30522]));

        graph.Initializer.Add(ModelBuilder.FloatTensor("tags_w", ModelBuilder.Random(width * Tags, seed: 7, scale: 0.2f), width, Tags));
        graph.Initializer.Add(ModelBuilder.FloatTensor("tags_b", ModelBuilder.Random(Tags, seed: 8, scale: 0.1f), Tags));
        graph.Node.Add(Node("MatMul", ["last_hidden_state", "tags_w"], ["tags_mm"]));
        graph.Node.Add(Node("Add", ["tags_mm", "tags_b"], ["tags_logits"]));
        graph.Node.Add(Node("Softmax", ["tags_logits"], ["token_tags"], new AttributeProto { Name = "axis", Type = AttributeProto.Types.AttributeType.Int, I = -1 }));
        graph.Output.Add(ModelBuilder.Value("token_tags", ["batch_size", "sequence_length", Tags]));
        return model;
    });

    private static string WriteResNet18() => DerivedModelFile.WriteOnce(Path.Combine(Path.GetTempPath(), "deepseek-tests", "resnet18-with-segmentation.onnx"), () =>
    {
        var model = ModelReader.Read(TestAssets.ResNet18);
        var graph = model.Proto.Graph;
        var features = graph.Node.Single(n => n.Output.Contains(graph.Output[0].Name)).Input[0]; // the last feature map, [1, 512, 7, 7]
        graph.Initializer.Add(ModelBuilder.FloatTensor("segmentation_w", ModelBuilder.Random(3 * 512, seed: 9, scale: 0.1f), 3, 512, 1, 1));
        graph.Node.Add(Node("Conv", [features, "segmentation_w"], ["segmentation"]));
        graph.Output.Add(ModelBuilder.Value("segmentation", [1, 3, 7, 7]));
        return model;
    });

    private static NodeProto Node(string op, string[] inputs, string[] outputs, params AttributeProto[] attributes)
        => DerivedModelFile.Node("head_" + outputs[0], op, inputs, outputs, attributes);
}
