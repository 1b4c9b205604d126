using DeepSeek.Engine.Data;
using DeepSeek.Engine.Passes;
using DeepSeek.Engine.Runtime;
using DeepSeek.Onnx.Model;
using DeepSeek.Onnx.Protobuf;
using DeepSeek.Testing;
using static DeepSeek.Engine.Tests.Passes.PassHarness;

namespace DeepSeek.Engine.Tests.Passes;

/// <summary><see cref="EmbeddingQuantizationPass"/>: Gather over a constant table → GatherBlockQuantized, and the tied head.</summary>
public sealed class EmbeddingQuantizationPassTests
{
    private static readonly long[] Ids = [0, 5, 63, 17, 17, 2];

    /// <summary>ids[N] → Gather(table[rows, width]) → y[N, width] (and, when tied, y → MatMul(Transpose(table)) → logits[N, rows]).</summary>
    private static ModelBuilder Model(float[] table, int rows, int width, bool tied = false, bool alsoAdded = false)
    {
        var builder = new ModelBuilder(8, 13).Input("ids", "N").Initializer("table", table, rows, width)
            .Node("Gather", ["table", "ids"], ["y"]).Output("y", "N", width);
        builder.Graph.Input[0].Type.TensorType.ElemType = (int)TensorProto.Types.DataType.Int64;
        if (tied)
        {
            builder.Node("Transpose", ["table"], ["table_t"], "", Ints("perm", 1, 0)).Node("MatMul", ["y", "table_t"], ["logits"]).Output("logits", "N", rows);
        }

        if (alsoAdded)
        {
            builder.Node("Add", ["table", "table"], ["doubled"]).Output("doubled", rows, width);
        }

        return builder;
    }

    private static Dictionary<string, float[]> Run(string path, string[] outputs)
    {
        using var session = ModelSession.Open(path);
        var result = session.Run(new Dictionary<string, TensorValue> { ["ids"] = TensorValue.Create(Ids, Ids.Length) });
        return outputs.ToDictionary(o => o, o => result[o].GetData<float>());
    }

    /// <summary>Tables whose every block holds values on a grid with both ends present: 8 bits (steps of 0.01 from −1.00 to
    /// 1.55) and 4 bits (steps of 0.5 from −3 to 4.5) represent them exactly, so ONNX Runtime must gather them exactly (the
    /// layout: rows, blocks, nibble order, zero points).</summary>
    [Theory]
    [InlineData(8, 128, 256)]
    [InlineData(8, 128, 384)] // three blocks a row (arctic-embed-xs' width)
    [InlineData(4, 64, 256)]
    [InlineData(4, 32, 96)]
    public void Representable_tables_are_gathered_exactly(int bits, int block, int width)
    {
        const int rows = 64;
        var (low, high, step) = bits == 8 ? (-100, 155, 0.01f) : (-6, 9, 0.5f);
        var random = new Random(bits + width);
        var table = new float[rows * width];
        for (var i = 0; i < table.Length; i++)
        {
            var column = i % width;
            table[i] = (column % block) switch { 0 => low * step, 1 => high * step, _ => random.Next(low, high + 1) * step };
        }

        using var temp = new TempDirectory();
        var (source, working) = Load(Model(table, rows, width), temp);
        var result = new EmbeddingQuantizationPass(bits, block).Run(new PassContext(working));

        Assert.Equal((1L, 0L, (long)rows * width, (long)bits), (result.Counters["tables"], result.Counters["tied"], result.Counters["values"], result.Counters["bits"]));
        var node = Assert.Single(working.Proto.Graph.Node);
        Assert.Equal(("GatherBlockQuantized", "com.microsoft"), (node.OpType, node.Domain));
        Assert.Equal(new long[] { rows, width * bits / 8 }, Initializer(working, "table_int" + bits).Dims);
        Assert.Equal(new long[] { rows, width / block }, Initializer(working, "table_scales").Dims);
        Assert.DoesNotContain(working.Proto.Graph.Initializer, t => t.Name == "table");
        working.Save(temp.File("quantized.onnx"));
        Assert.Equal(Run(source, ["y"])["y"], Run(temp.File("quantized.onnx"), ["y"])["y"]);
    }

    [Fact]
    public void A_4_bit_table_of_odd_width_keeps_8_bits()
    {
        var working = new OnnxModel(Model(ModelBuilder.Random(64 * 65, 1), 64, 65).Build());
        new EmbeddingQuantizationPass(4, 32).Run(new PassContext(working));
        Assert.Equal(8L, Assert.Single(Assert.Single(working.Proto.Graph.Node).Attribute, a => a.Name == "bits").I);
    }

    [Fact]
    public void A_tied_head_reads_the_one_int8_table_through_its_transpose()
    {
        const int rows = 300, width = 64;
        using var temp = new TempDirectory();
        var (source, working) = Load(Model(ModelBuilder.Random(rows * width, 2, 0.1f), rows, width, tied: true), temp);

        var result = new EmbeddingQuantizationPass().Run(new PassContext(working));

        Assert.Equal(1, result.Counters["tied"]);
        Assert.Equal(["table_int8", "table_row_scales", "table_column_scales", "table_zero_points"], working.Proto.Graph.Initializer.Select(t => t.Name));
        Assert.Equal((int)TensorProto.Types.DataType.Int8, Initializer(working, "table_int8").DataType);
        var ops = OpTypes(working);
        Assert.Equal(new[] { "Cast", "DynamicQuantizeLinear", "Gather", "Gather", "Mul", "Mul", "Mul", "MatMulInteger", "Transpose", "Cast" }.Order(StringComparer.Ordinal), ops.Order(StringComparer.Ordinal));
        working.Save(temp.File("quantized.onnx"));
        var expected = Run(source, ["y", "logits"]);
        var actual = Run(temp.File("quantized.onnx"), ["y", "logits"]);
        var (rowError, logitError) = (MaxRelativeError(expected["y"], actual["y"]), MaxRelativeError(expected["logits"], actual["logits"]));
        Assert.True(rowError is > 0 and < 0.01, $"rows: {rowError}"); // int8 per row: about half a step of 1/127
        Assert.True(logitError is > 0 and < 0.03, $"logits: {logitError}");
    }

    [Fact]
    public void A_table_that_something_else_reads_as_floats_stays_float_and_a_small_one_too()
    {
        var other = new OnnxModel(Model(ModelBuilder.Random(64 * 128, 3), 64, 128, alsoAdded: true).Build());
        Assert.Equal(0, new EmbeddingQuantizationPass().Run(new PassContext(other)).Counters["tables"]);

        var small = new OnnxModel(Model(ModelBuilder.Random(16 * 16, 4), 16, 16).Build()); // 256 values < MinElements
        Assert.Equal(0, new EmbeddingQuantizationPass().Run(new PassContext(small)).Counters["tables"]);
        Assert.Equal("Gather", Assert.Single(small.Proto.Graph.Node).OpType);
    }
}
