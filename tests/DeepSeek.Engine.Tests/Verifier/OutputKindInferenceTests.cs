using DeepSeek.Engine.Verification;
using DeepSeek.Onnx.Diagnostics;
using DeepSeek.Onnx.Model;
using DeepSeek.Onnx.Protobuf;
using DeepSeek.Testing;

namespace DeepSeek.Engine.Tests.Verifier;

/// <summary>The inference of output kinds from the graph, one rule per small model, and the overrides.</summary>
public sealed class OutputKindInferenceTests
{
    private static OutputKind KindOf(ModelBuilder builder, string output = "y", string? task = null)
        => OutputKindInference.Resolve(new OnnxModel(builder.Build()), task)[output].Kind;

    [Fact]
    public void Scores_per_sample_are_classification()
    {
        Assert.Equal(OutputKind.Classification, KindOf(new ModelBuilder().Input("x", "batch", 4).Node("Softmax", ["x"], ["y"]).Output("y", "batch", 4)));
        Assert.Equal(OutputKind.Classification, KindOf(new ModelBuilder().Input("x", "batch", 4).Initializer("w", new float[12], 4, 3)
            .Node("MatMul", ["x", "w"], ["y"]).Output("y", "batch", 3)));
    }

    [Fact]
    public void Pooled_features_are_embeddings_and_maps_are_dense()
    {
        Assert.Equal(OutputKind.Embedding, KindOf(new ModelBuilder().Input("x", 1, 8, 7, 7).Node("GlobalAveragePool", ["x"], ["p"]).Node("Flatten", ["p"], ["y"]).Output("y", 1, 8)));
        Assert.Equal(OutputKind.Embedding, KindOf(new ModelBuilder().Input("x", 1, 8, 7, 7).Node("GlobalAveragePool", ["x"], ["y"]).Output("y", 1, 8, 1, 1)));
        Assert.Equal(OutputKind.Dense, KindOf(new ModelBuilder().Input("x", 1, 3, 32, 32).Node("Relu", ["x"], ["y"]).Output("y", 1, 3, 32, 32)));
        Assert.Equal(OutputKind.Other, KindOf(new ModelBuilder().Input("x", 5).Node("Relu", ["x"], ["y"]).Output("y", 5, 6, 7)));
    }

    [Fact]
    public void Over_token_ids_hidden_states_are_embeddings_vocabulary_scores_a_language_model_and_few_scores_a_sequence()
    {
        // Token ids (int64) [batch, sequence] index a 100-row table of width 8.
        var model = new ModelBuilder().Input("ids", "batch", "sequence").Initializer("table", ModelBuilder.Random(800, 1), 100, 8)
            .Initializer("head", ModelBuilder.Random(800, 2), 8, 100).Initializer("tags", ModelBuilder.Random(24, 3), 8, 3)
            .Node("Gather", ["table", "ids"], ["hidden"]).Node("MatMul", ["hidden", "head"], ["scores"]).Node("MatMul", ["hidden", "tags"], ["tag_logits"])
            .Output("hidden", "batch", "sequence", 8).Output("scores", "batch", "sequence", 100).Output("tag_logits", "batch", "sequence", 3).Build();
        model.Graph.Input[0].Type.TensorType.ElemType = (int)TensorProto.Types.DataType.Int64;
        var kinds = OutputKindInference.Resolve(new OnnxModel(model));
        Assert.Equal(OutputKind.Embedding, kinds["hidden"].Kind);
        Assert.Equal(OutputKind.LanguageModel, kinds["scores"].Kind);
        Assert.Equal(OutputKind.Sequence, kinds["tag_logits"].Kind);
        Assert.Contains("100-row table", kinds["scores"].Source, StringComparison.Ordinal);
    }

    [Fact]
    public void Integer_outputs_stay_exact_whatever_the_task_and_the_overrides_win()
    {
        var builder = new ModelBuilder().Input("x", "batch", 4).Node("Softmax", ["x"], ["y"]).Output("y", "batch", 4);
        var model = builder.Build();
        model.Graph.Node.Add(new NodeProto { OpType = "ArgMax", Input = { "y" }, Output = { "label" } });
        model.Graph.Output.Add(ModelBuilder.Value("label", ["batch", 1]));
        model.Graph.Output[^1].Type.TensorType.ElemType = (int)TensorProto.Types.DataType.Int64;
        var onnx = new OnnxModel(model);

        var inferred = OutputKindInference.Resolve(onnx);
        Assert.Equal(OutputKind.Classification, inferred["y"].Kind);
        Assert.Equal(OutputKind.Other, inferred["label"].Kind);

        var task = OutputKindInference.Resolve(onnx, "embedding");
        Assert.Equal((OutputKind.Embedding, "--task"), (task["y"].Kind, task["y"].Source));
        Assert.Equal(OutputKind.Other, task["label"].Kind);

        var single = OutputKindInference.Resolve(onnx, "embedding", new Dictionary<string, string> { ["y"] = "dense" });
        Assert.Equal((OutputKind.Dense, "--output-kind"), (single["y"].Kind, single["y"].Source));

        var unknownOutput = Assert.Throws<DeepSeekException>(() => OutputKindInference.Resolve(onnx, null, new Dictionary<string, string> { ["z"] = "dense" }));
        Assert.Equal("DSB0065", unknownOutput.Id);
        Assert.Contains("y, label", unknownOutput.Message, StringComparison.Ordinal);
        var unknownKind = Assert.Throws<DeepSeekException>(() => OutputKindInference.Resolve(onnx, "regression"));
        Assert.Contains("classification, embedding, sequence, language-model, dense, other", unknownKind.Message, StringComparison.Ordinal);
    }
}
