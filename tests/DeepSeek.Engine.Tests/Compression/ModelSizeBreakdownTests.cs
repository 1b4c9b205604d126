using DeepSeek.Engine.Compression.Reports;
using DeepSeek.Onnx.IO;
using DeepSeek.Onnx.Model;
using DeepSeek.Onnx.Protobuf;
using DeepSeek.Testing;
using Google.Protobuf;

namespace DeepSeek.Engine.Tests.Compression;

/// <summary>The HTML report's sizes: every stored tensor's bytes counted for the operator that reads it, and by group.</summary>
public sealed class ModelSizeBreakdownTests
{
    private static TensorProto Bytes(string name, TensorProto.Types.DataType type, int bytes, params long[] dims)
    {
        var tensor = new TensorProto { Name = name, DataType = (int)type, RawData = ByteString.CopyFrom(new byte[bytes]) };
        tensor.Dims.AddRange(dims);
        return tensor;
    }

    [Fact]
    public void Each_tensor_counts_for_the_operator_it_reaches_and_for_its_group()
    {
        var builder = new ModelBuilder(opset: 13)
            .Opset("com.microsoft", 1)
            .Input("x", 1, 4)
            .Initializer("w", new float[12], 4, 3)                  // MatMul weights: 48
            .Initializer("b", new float[3], 3)                      // Add's 1-D operand, a bias: 12
            .Initializer("scale", new float[8], 8)                  // Conv's weight scales, through DequantizeLinear: 32
            .Initializer("conv_b", new float[8], 8)                 // Conv bias: 32
            .Initializer("table", new float[40], 10, 4)             // Gather's table, weights: 160
            .Initializer("nbits_scales", new float[3], 3)           // MatMulNBits scales: 12
            .Initializer("left_over", new float[2], 2)              // read by no node: 8
            .Constant("shape", new float[4], 4)                     // Reshape's shape (a Constant node): 16
            .Node("MatMul", ["x", "w"], ["y"])
            .Node("Add", ["y", "b"], ["z"])
            .Node("DequantizeLinear", ["wq", "scale", "zp"], ["w_dq"])
            .Node("Conv", ["image", "w_dq", "conv_b"], ["c"])
            .Node("Gather", ["table", "ids"], ["e"])
            .Node("Reshape", ["e", "shape"], ["r"])
            .Node("MatMulNBits", ["z", "nbits", "nbits_scales", "nbits_zp"], ["n"], "com.microsoft")
            .Output("n", 1, 3);
        builder.Graph.Initializer.Add(Bytes("wq", TensorProto.Types.DataType.Int8, 32, 8, 1, 2, 2)); // Conv weights in int8: 32
        builder.Graph.Initializer.Add(Bytes("zp", TensorProto.Types.DataType.Int8, 8, 8));           // Conv zero points: 8
        builder.Graph.Initializer.Add(Bytes("nbits", TensorProto.Types.DataType.Uint8, 48, 3, 1, 16)); // MatMulNBits weights: 48
        builder.Graph.Initializer.Add(Bytes("nbits_zp", TensorProto.Types.DataType.Uint8, 2, 2));     // its zero points: 2

        var sizes = ModelSizeBreakdown.Measure(new OnnxModel(builder.Build()));

        Assert.Equal(12, sizes.Tensors);
        Assert.Equal(
            new Dictionary<string, long>
            {
                ["MatMul"] = 48, ["Add"] = 12, ["Conv"] = 32 + 32 + 8 + 32, ["Gather"] = 160, ["Reshape"] = 16, ["MatMulNBits"] = 48 + 12 + 2,
                [ModelSizeBreakdown.Unused] = 8,
            },
            sizes.ByOperator.OrderBy(p => p.Key, StringComparer.Ordinal).ToDictionary());
        Assert.Equal(48 + 32 + 160 + 48, sizes.ByGroup[TensorGroup.Weights]);
        Assert.Equal(12 + 32, sizes.ByGroup[TensorGroup.Biases]);
        Assert.Equal(32 + 8 + 12 + 2, sizes.ByGroup[TensorGroup.Quantization]);
        Assert.Equal(16 + 8, sizes.ByGroup[TensorGroup.Other]);
        Assert.Equal(410, sizes.Total);
    }

    [Fact]
    public void The_MNIST_MLP_is_two_MatMul_weight_matrices_and_two_biases()
    {
        // 784x128 + 128x10 weights, 128 + 10 biases (tests/data/mnist): the figures the report's sizes section starts from.
        var sizes = ModelSizeBreakdown.Measure(ModelReader.Read(TestAssets.MnistMlp));

        Assert.Equal(4L * ((784 * 128) + (128 * 10)), sizes.ByOperator["MatMul"]);
        Assert.Equal(4L * (128 + 10), sizes.ByOperator["Add"]);
        Assert.Equal(sizes.ByOperator["MatMul"], sizes.ByGroup[TensorGroup.Weights]);
        Assert.Equal(sizes.ByOperator["Add"], sizes.ByGroup[TensorGroup.Biases]);
        Assert.Equal(0, sizes.ByGroup[TensorGroup.Quantization]);
    }
}
