using DeepSeek.Engine.Data;
using DeepSeek.Engine.Passes;
using DeepSeek.Engine.Profiles;
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

        // This machine's weight bits: 7 on x64 without VNNI, where ONNX Runtime's u8s8 kernels would saturate 8-bit weights.
        var result = new EmbeddingQuantizationPass(weightBits: ProfileCatalog.BuiltIn.ForHost().Int8.WeightBits).Run(new PassContext(working));

        Assert.Equal(1, result.Counters["tied"]);
        Assert.Equal(["table_int8", "table_row_scales", "table_column_scales", "table_zero_points"], working.Proto.Graph.Initializer.Select(t => t.Name));
        Assert.Equal((int)TensorProto.Types.DataType.Int8, Initializer(working, "table_int8").DataType);
        var ops = OpTypes(working);
        Assert.Equal(new[] { "Cast", "DynamicQuantizeLinear", "Gather", "Gather", "Mul", "Mul", "Mul", "MatMulInteger", "Transpose", "Cast" }.Order(StringComparer.Ordinal), ops.Order(StringComparer.Ordinal));
        working.Save(temp.File("quantized.onnx"));
        var expected = Run(source, ["y", "logits"]);
        var actual = Run(temp.File("quantized.onnx"), ["y", "logits"]);
        var (rowError, logitError) = (MaxRelativeError(expected["y"], actual["y"]), MaxRelativeError(expected["logits"], actual["logits"]));
        Assert.True(rowError is > 0 and < 0.02, $"rows: {rowError}"); // int8 per row: about half a step of 1/127 (1/63 with 7 bits)
        Assert.True(logitError is > 0 and < 0.03, $"logits: {logitError}");
    }

    /// <summary>
    /// In 4 bits a tied table is stored once, in MatMulNBits' layout [rows, blocks, blockSize/2]: the head is MatMulNBits over it
    /// and the Gathers read the same tensor as 3-D data (GatherBlockQuantized, then a Reshape to the width). Both outputs are
    /// checked in ONNX Runtime: a representable table (4-bit grid) gathers exactly, and the logits stay close.
    /// </summary>
    [Fact]
    public void A_tied_head_in_4_bits_is_MatMulNBits_over_the_one_4_bit_table_the_gathers_read()
    {
        const int rows = 300, width = 128;
        var random = new Random(9);
        var table = new float[rows * width];
        for (var i = 0; i < table.Length; i++)
        {
            table[i] = (i % 64) switch { 0 => -3f, 1 => 4.5f, _ => random.Next(-6, 10) * 0.5f }; // every block: 16 steps of 0.5, both ends
        }

        using var temp = new TempDirectory();
        var (source, working) = Load(Model(table, rows, width, tied: true), temp);

        var result = new EmbeddingQuantizationPass(4, 64, accuracyLevel: 0).Run(new PassContext(working));

        Assert.Equal((1L, 1L), (result.Counters["tables"], result.Counters["tied"]));
        var data = Initializer(working, "table_int4");
        Assert.Equal([rows, width / 64, 32L], data.Dims);
        Assert.Single(working.Proto.Graph.Initializer, t => t.DataType == (int)TensorProto.Types.DataType.Uint8 && t.Dims.Aggregate(1L, (a, d) => a * d) >= rows * width / 2);
        Assert.Contains(working.Proto.Graph.Node, n => n.OpType == "MatMulNBits" && n.Input[1] == "table_int4");
        Assert.Contains(working.Proto.Graph.Node, n => n.OpType == "GatherBlockQuantized" && n.Input[0] == "table_int4");
        Assert.DoesNotContain(working.Proto.Graph.Node, n => n.OpType is "Transpose" or "MatMul");
        working.Save(temp.File("quantized.onnx"));
        var expected = Run(source, ["y", "logits"]);
        var actual = Run(temp.File("quantized.onnx"), ["y", "logits"]);
        Assert.Equal(expected["y"], actual["y"]);
        Assert.True(MaxRelativeError(expected["logits"], actual["logits"]) < 1e-3, $"logits: {MaxRelativeError(expected["logits"], actual["logits"])}");
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
