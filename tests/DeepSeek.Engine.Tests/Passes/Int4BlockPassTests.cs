using DeepSeek.Engine.Data;
using DeepSeek.Engine.Passes;
using DeepSeek.Engine.Runtime;
using DeepSeek.Onnx.Model;
using DeepSeek.Onnx.Protobuf;
using DeepSeek.Testing;

namespace DeepSeek.Engine.Tests.Passes;

public sealed class Int4BlockPassTests
{
    /// <summary>Weights that 4-bit blocks represent exactly, so that ONNX Runtime's MatMulNBits must reproduce fp32 (layout check).</summary>
    [Theory]
    [InlineData(32, false, 64)]
    [InlineData(32, true, 64)]
    [InlineData(64, false, 80)]  // K not a multiple of the block: the last block is padded
    [InlineData(128, true, 128)]
    public void Representable_weights_give_the_fp32_result_in_onnx_runtime(int block, bool symmetric, int k)
    {
        const int n = 6;
        var random = new Random(3);
        var w = new float[k * n];
        for (var i = 0; i < w.Length; i++)
        {
            // symmetric: integers in [-7, 7] times 0.25 with a ±7 in every block; asymmetric: integers in [-6, 9] with both ends present
            w[i] = symmetric ? (random.Next(15) - 7) * 0.25f : random.Next(16) - 6;
        }

        for (var column = 0; column < n; column++)
        {
            for (var b = 0; b * block < k; b++)
            {
                w[(b * block * n) + column] = symmetric ? 7 * 0.25f : -6;
                if ((b * block) + 1 < k)
                {
                    w[(((b * block) + 1) * n) + column] = symmetric ? -7 * 0.25f : 9;
                }
            }
        }

        using var temp = new TempDirectory();
        var source = new ModelBuilder(8, 13).Input("x", "batch", k).Initializer("w", w, k, n).Node("MatMul", ["x", "w"], ["y"]).Output("y", "batch", n).Save(temp.File("m.onnx"));
        var model = DeepSeek.Onnx.IO.ModelReader.Read(source);
        var working = new OnnxModel(model.Proto.Clone(), model.DisplayPath, model.BaseDirectory);
        // accuracy_level 0: fp32 compute, so that representable weights give fp32 exactly (4, the default, quantizes activations).
        var result = new Int4BlockPass(block, symmetric, accuracyLevel: 0).Run(new PassContext(working));
        Assert.Equal(1, result.Counters["nodes"]);
        var node = Assert.Single(working.Proto.Graph.Node);
        Assert.Equal("MatMulNBits", node.OpType);
        Assert.Equal("com.microsoft", node.Domain);
        Assert.Equal(symmetric ? 3 : 4, node.Input.Count);
        Assert.DoesNotContain(node.Attribute, a => a.Name == "accuracy_level");
        var packed = working.Proto.Graph.Initializer.Single(t => t.DataType == (int)TensorProto.Types.DataType.Uint8 && t.Dims.Count == 3);
        Assert.Equal(new long[] { n, (k + block - 1) / block, block / 2 }, packed.Dims);
        working.Save(temp.File("int4.onnx"));

        using var original = ModelSession.Open(source, null);
        using var quantized = ModelSession.Open(temp.File("int4.onnx"), null);
        var x = new Dictionary<string, TensorValue> { ["x"] = TensorValue.Create(ModelBuilder.Random(3 * k, 9), 3, k) };
        var expected = original.Run(x)["y"].GetData<float>();
        var actual = quantized.Run(x)["y"].GetData<float>();
        Assert.Equal(expected.Length, actual.Length);
        for (var i = 0; i < expected.Length; i++)
        {
            Assert.InRange(actual[i], expected[i] - (1e-3f * (1 + Math.Abs(expected[i]))), expected[i] + (1e-3f * (1 + Math.Abs(expected[i]))));
        }
    }

    [Fact]
    public void Block_sizes_other_than_16_32_64_128_are_refused()
    {
        var model = new OnnxModel(new ModelBuilder(8, 13).Input("x", "b", 4).Output("x", "b", 4).Build());
        var e = Assert.Throws<DeepSeek.Onnx.Diagnostics.DeepSeekException>(() => new Int4BlockPass(48).Run(new PassContext(model)));
        Assert.Equal("DSB0065", e.Id);
    }

    /// <summary>Blocks of 32 by default, 128 from 1B parameters (counted from the dims: the weights are never read).</summary>
    [Theory]
    [InlineData(999_999_999L, 32)]
    [InlineData(1_000_000_000L, 128)]
    public void The_default_block_is_32_and_128_for_models_of_a_billion_parameters(long parameters, int block)
    {
        var proto = new ModelProto { Graph = new GraphProto() };
        foreach (var (name, count) in new[] { ("a", parameters / 2), ("b", parameters - (parameters / 2)) })
        {
            var tensor = new TensorProto { Name = name, DataType = (int)TensorProto.Types.DataType.Float, DataLocation = TensorProto.Types.DataLocation.External };
            tensor.Dims.Add(count);
            tensor.ExternalData.Add(new StringStringEntryProto { Key = "location", Value = "weights.data" });
            proto.Graph.Initializer.Add(tensor);
        }

        Assert.Equal(block, Int4BlockPass.DefaultBlockSize(new OnnxModel(proto)));
    }
}
