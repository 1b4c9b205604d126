using System.Text.RegularExpressions;
using DeepSeek.Engine.Compression;
using DeepSeek.Engine.Data;
using DeepSeek.Engine.Passes;
using DeepSeek.Engine.Profiles;
using DeepSeek.Engine.Runtime;
using DeepSeek.Engine.Tests.Verifier;
using DeepSeek.Engine.Verification;
using DeepSeek.Onnx.Diagnostics;
using DeepSeek.Onnx.IO;
using DeepSeek.Onnx.Model;
using DeepSeek.Onnx.Protobuf;
using DeepSeek.Testing;
using Google.Protobuf;
using Xunit.Abstractions;

namespace DeepSeek.Engine.Tests.Compression;

/// <summary>
/// Every recipe on a real transformer, for this machine's profile: arctic-embed-xs from NuGet (90.4 MB, 11.7M of its 22.6M parameters in the
/// word-embedding table), verified on sentences never used to calibrate (SentenceFolders.HeldOut), with the issue's targets:
/// int8-dynamic ≤ 26 % of the size at pooled cosine ≥ 0.995; int4 ≤ 16 % at ≥ 0.98; int8-static ≥ 0.99 and faster than
/// int8-dynamic, or refused with its figures.
/// </summary>
public sealed partial class TransformerRecipeTests(SentenceFolders data, ITestOutputHelper output) : IClassFixture<SentenceFolders>
{
    private static long SourceBytes => new FileInfo(ArcticXs.Instance.Model).Length;

    /// <summary>This machine's profile: 8-bit weights where the CPU has VNNI, the 7-bit form on AVX2 alone, where ONNX Runtime's
    /// u8s8 kernels would saturate with 8-bit weights (the suite passes on both kinds of machine).</summary>
    private static string Host => ProfileCatalog.BuiltIn.ForHost().Name;

    private CompressionReport Compress(TempDirectory temp, string quantize, string? profile = null) => Compressor.Run(new CompressionRequest
    {
        Input = ArcticXs.Instance.Model,
        Output = temp.File(quantize + ".onnx"),
        Profile = ProfileCatalog.BuiltIn.Get(profile ?? Host),
        Quantize = quantize,
        CalibrationFolder = data.HeldOut,
    });

    private static PassResult Pass(CompressionReport report, string name) => Assert.Single(report.Passes, p => p.Result.Pass == name).Result;

    private static List<NodeProto> Nodes(string path, string opType) => ModelReader.Read(path).Proto.Graph.Node.Where(n => n.OpType == opType).ToList();

    private static long Attribute(NodeProto node, string name) => Assert.Single(node.Attribute, a => a.Name == name).I;

    /// <summary>No weight ships in float: no float matrix with both dimensions at least the hidden size (the tables, the
    /// projections); the scales ([rows, blocks]) and the biases and LayerNorm parameters (vectors) may.</summary>
    private static void NoLargeFloatTensor(string path)
    {
        var model = ModelReader.Read(path);
        var floats = model.Graph.Weights().Where(w => w.DataType == (int)TensorProto.Types.DataType.Float && w.Dims.Count == 2 && w.Dims.All(d => d >= ArcticXs.HiddenSize));
        Assert.Empty(floats.Select(w => $"{w.Name} [{string.Join(",", w.Dims)}]"));
    }

    [Theory]
    [InlineData(null)] // this machine's (8-bit weights on this project's CI machines)
    [InlineData("x64-avx2")] // 7-bit weights
    public void Int8_dynamic_quantizes_the_embedding_tables_and_every_projection(string? profile)
    {
        using var temp = new TempDirectory();
        var report = Compress(temp, "int8-dynamic", profile);

        var m = Assert.Single(report.Evaluation.Outputs);
        output.WriteLine($"{report.Profile}: {report.OutputBytes:N0} of {report.InputBytes:N0} bytes ({report.SizeRatio:P2}), pooled cosine {m.PooledCosine:F5} (min {m.MinPooledCosine:F5}), neighbours {m.NeighbourAgreement:P0}");
        Assert.Equal(SourceBytes, report.InputBytes);
        Assert.InRange(report.SizeRatio, 0.2, 0.26);
        Assert.InRange(m.PooledCosine!.Value, 0.995, 0.99999);
        Assert.Equal("1% (default): met", report.Budget);
        Assert.Equal(2, Pass(report, "embeddings-int8").Counters["tables"]); // word and position embeddings
        Assert.Equal(0, Pass(report, "embeddings-int8").Counters["tied"]);
        Assert.Equal(36, Pass(report, "int8-dynamic").Counters["nodes"]);

        var gathers = Nodes(report.Output, "GatherBlockQuantized");
        Assert.Equal(2, gathers.Count);
        Assert.All(gathers, g => Assert.Equal((8L, 128L), (Attribute(g, "bits"), Attribute(g, "block_size"))));

        // One DynamicQuantizeLinear per activation: the three projections of each layer share one (6 layers x 4 distinct inputs).
        Assert.Equal(24, Nodes(report.Output, "DynamicQuantizeLinear").Count);
        NoLargeFloatTensor(report.Output);
    }

    [Fact]
    public void Int4_stores_the_tables_in_4_bit_blocks_and_the_projections_in_MatMulNBits_with_int8_compute()
    {
        using var temp = new TempDirectory();
        var report = Compress(temp, "int4");

        var m = Assert.Single(report.Evaluation.Outputs);
        output.WriteLine($"int4: {report.OutputBytes:N0} bytes ({report.SizeRatio:P2}), pooled cosine {m.PooledCosine:F5}");
        Assert.InRange(report.SizeRatio, 0.1, 0.16);
        Assert.InRange(m.PooledCosine!.Value, 0.98, 0.9999);
        Assert.Equal(2, Pass(report, "embeddings-int4").Counters["tables"]);
        var gathers = Nodes(report.Output, "GatherBlockQuantized");
        Assert.All(gathers, g => Assert.Equal(4L, Attribute(g, "bits")));
        var matmuls = Nodes(report.Output, "MatMulNBits");
        Assert.Equal(36, matmuls.Count);
        Assert.All(matmuls, n => Assert.Equal(HardwareProfile.CpuInt4AccuracyLevel, Attribute(n, "accuracy_level")));
        NoLargeFloatTensor(report.Output);
    }

    /// <summary>
    /// GPTQ against rounding to nearest on the same model and blocks, both judged on the 8 held-out sentences neither saw:
    /// GPTQ fits the first half of the 16 calibration sentences (measured: pooled cosine 0.9933 against 0.9912 in
    /// asymmetric blocks of 32; 0.9880 against 0.9862 in symmetric blocks of 128).
    /// </summary>
    [Theory]
    [InlineData(32, false)]
    [InlineData(128, true)]
    public void Int4_by_GPTQ_keeps_more_of_the_embeddings_than_rounding_to_nearest(int block, bool symmetric)
    {
        using var temp = new TempDirectory();
        double HeldOut(Int4Method method)
        {
            var report = Compressor.Run(new CompressionRequest
            {
                Input = ArcticXs.Instance.Model, Output = temp.File($"int4-{method}.onnx"), Profile = ProfileCatalog.BuiltIn.Get(Host), Quantize = "int4",
                CalibrationFolder = data.Calibration, Int4BlockSize = block, Int4Symmetric = symmetric, Int4Method = method, Budget = null,
            });
            Assert.Equal(method == Int4Method.Gptq ? 36 : 0, Pass(report, "int4-block").Counters["gptq"]);
            var source = ModelReader.Read(ArcticXs.Instance.Model);
            using var original = ModelSession.Open(ArcticXs.Instance.Model);
            using var compressed = ModelSession.Open(report.Output);
            var samples = DataSet.Load(data.HeldOut, source.Graph.Inputs).Samples.Select(s => s.Inputs).ToList();
            return Assert.Single(Evaluator.Compare(original, compressed, samples, null, data.HeldOut, report.Output,
                kinds: OutputKindInference.Resolve(source, null, new Dictionary<string, string>())).Outputs).PooledCosine!.Value;
        }

        var (gptq, nearest) = (HeldOut(Int4Method.Gptq), HeldOut(Int4Method.RoundToNearest));
        output.WriteLine($"int4, blocks of {block}{(symmetric ? " symmetric" : "")}: held-out pooled cosine GPTQ {gptq:F5}, round to nearest {nearest:F5}");
        Assert.True(gptq > nearest + 0.001, $"GPTQ {gptq:F5} against round to nearest {nearest:F5}");
    }

    [Fact]
    public void Fp16_halves_the_model_at_full_fidelity()
    {
        using var temp = new TempDirectory();
        var report = Compress(temp, "fp16");

        var m = Assert.Single(report.Evaluation.Outputs);
        Assert.InRange(report.SizeRatio, 0.49, 0.51);
        Assert.InRange(m.PooledCosine!.Value, 0.9999, 1.0);
        Assert.Equal(0, Pass(report, "fp16-weights").Counters["keptFloat"]);

        // The word, position and token-type tables are gathered in fp16 and the rows cast after: no Cast of a whole table.
        Assert.Equal(3, Pass(report, "fp16-weights").Counters["tables"]);
        var graph = ModelReader.Read(report.Output).Proto.Graph;
        var fp16 = graph.Initializer.Where(t => t.DataType == (int)TensorProto.Types.DataType.Float16).ToDictionary(t => t.Name);
        var tables = graph.Node.Where(n => n.OpType == "Gather" && fp16.ContainsKey(n.Input[0])).Select(n => n.Input[0]).ToList();
        Assert.Equal(3, tables.Count);
        Assert.Contains(tables, t => fp16[t].Dims.SequenceEqual([30522L, ArcticXs.HiddenSize]));
        Assert.DoesNotContain(graph.Node, n => n.OpType == "Cast" && tables.Contains(n.Input[0]));
    }

    /// <summary>
    /// The static QDQ pass on the transformer, calibrated on 16 sentences and compared on 8 others: the registry keeps the
    /// residual stream, LayerNorm, Softmax and GELU float, quantizes the MatMuls' inputs (both inputs of the attention
    /// products), and quantizes a value only for the readers that run on int8. Measured: pooled cosine 0.9989 (before: 0.79,
    /// when the attention mask's -3.4e38 and every Add went through uint8).
    /// </summary>
    [Fact]
    public void Static_int8_keeps_the_embeddings_on_sentences_never_used_to_calibrate()
    {
        using var temp = new TempDirectory();
        var source = ModelReader.Read(ArcticXs.Instance.Model);
        var model = new OnnxModel(source.Proto.Clone(), source.DisplayPath, source.BaseDirectory);
        var context = new PassContext(model);
        new ConstantInitializersPass().Run(context);
        new OpsetUpgradePass(13).Run(context);
        new EmbeddingQuantizationPass().Run(context);
        var calibration = Calibrator.Run(model, DataSet.Load(data.Calibration, source.Graph.Inputs).Samples.Select(s => s.Inputs).ToList());
        var result = new StaticInt8QdqPass(ProfileCatalog.BuiltIn.ForHost(), calibration.Ranges, null, calibration.ChannelMeans).Run(context);

        Assert.Equal(36, result.Counters["nodes"]);
        var graph = model.Proto.Graph;
        foreach (var op in new[] { "Softmax", "ReduceMean", "Erf", "Add" })
        {
            // Nothing that stays float reads a dequantized value.
            Assert.DoesNotContain(graph.Node, n => n.OpType == op && n.Input.Any(i => graph.Node.Any(d => d.OpType == "DequantizeLinear" && d.Output[0] == i)));
        }

        var attention = graph.Node.Where(n => n.OpType == "MatMul" && n.Input.All(i => graph.Node.Any(d => d.OpType == "DequantizeLinear" && d.Output[0] == i))).ToList();
        Assert.Equal(48, attention.Count); // 36 projections (weights) + 12 attention products (two activations)
        var path = temp.File("static.onnx");
        model.Save(path);
        var heldOut = DataSet.Load(data.HeldOut, source.Graph.Inputs).Samples.Select(s => s.Inputs).ToList();
        using var original = ModelSession.Open(ArcticXs.Instance.Model);
        using var quantized = ModelSession.Open(path);
        var m = Assert.Single(Evaluator.Compare(original, quantized, heldOut, null, data.HeldOut, path, kinds: OutputKindInference.Resolve(source, null, new Dictionary<string, string>())).Outputs);
        output.WriteLine($"static: {result.Counters["activations"]} activations, pooled cosine {m.PooledCosine:F5} (min {m.MinPooledCosine:F5}) on held-out sentences");
        Assert.InRange(m.PooledCosine!.Value, 0.99, 0.99999);
    }

    /// <summary>
    /// On this machine as the target, static INT8 ships only when it runs faster than dynamic INT8 (timed in alternation, by a
    /// 5 % margin); else DSB0082 names both timings and static's fidelity. Measured here (AVX-512 VNNI): static 4.2 ms, dynamic
    /// 3.5 ms per sample — ONNX Runtime fuses the dynamic form into one kernel per MatMul — so it is refused.
    /// </summary>
    [Fact]
    public void Static_int8_ships_only_when_faster_than_dynamic_on_the_target_else_it_is_refused_with_its_figures()
    {
        using var temp = new TempDirectory();
        var request = new CompressionRequest
        {
            Input = ArcticXs.Instance.Model, Output = temp.File("static.onnx"), Profile = ProfileCatalog.BuiltIn.ForHost(), Quantize = "int8-static",
            CalibrationFolder = data.Calibration,
        };

        try
        {
            var report = Compressor.Run(request);
            var (dynamicMs, staticMs) = (report.TimingsMs["latencyDynamicMs"], report.TimingsMs["latencyStaticMs"]);
            output.WriteLine($"shipped: static {staticMs:F2} ms, dynamic {dynamicMs:F2} ms");
            Assert.True(staticMs <= dynamicMs * Compressor.StaticSpeedMargin || Math.Max(staticMs, dynamicMs) < Compressor.MinComparableMs);
            Assert.InRange(Assert.Single(report.Evaluation.Outputs).PooledCosine!.Value, 0.99, 1);
        }
        catch (DeepSeekException e) when (e.Id == "DSB0082")
        {
            output.WriteLine(e.Message);
            var timing = Timings().Match(e.Message);
            Assert.True(timing.Success, e.Message);
            var (staticMs, dynamicMs) = (double.Parse(timing.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture), double.Parse(timing.Groups[2].Value, System.Globalization.CultureInfo.InvariantCulture));
            Assert.True(staticMs > dynamicMs * Compressor.StaticSpeedMargin, e.Message);
            var pooled = double.Parse(PooledFigure().Match(e.Message).Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
            Assert.InRange(pooled, 0.99, 1); // refused for speed, not fidelity: the figures say so
            Assert.False(File.Exists(request.Output));
        }
    }

    [Fact]
    public void Auto_and_int8_choose_dynamic_for_the_transformer()
    {
        using var temp = new TempDirectory();
        foreach (var quantize in new[] { "int8", "auto" })
        {
            var report = Compressor.Run(new CompressionRequest
            {
                Input = ArcticXs.Instance.Model, Output = temp.File(quantize + ".onnx"), Profile = ProfileCatalog.BuiltIn.Get("x64-avx2"), Quantize = quantize,
                CalibrationFolder = data.Calibration,
            });
            Assert.Equal("int8-dynamic", report.Recipe);
        }
    }

    /// <summary>
    /// A masked-language-model head tied to the word embeddings (Transpose(table) → MatMul): the table is stored once in int8
    /// per row, read by the Gathers and, transposed, by the head's MatMulInteger; no float copy of it ships.
    /// </summary>
    [Fact]
    public void A_tied_language_model_head_shares_the_one_int8_table()
    {
        using var temp = new TempDirectory();
        var report = Compressor.Run(new CompressionRequest
        {
            Input = ModelHeads.ArcticXsWithHeads, Output = temp.File("heads.onnx"), Profile = ProfileCatalog.BuiltIn.ForHost(),
            Quantize = "int8-dynamic", CalibrationFolder = data.HeldOut, Budget = null,
        });

        var embeddings = Pass(report, "embeddings-int8");
        Assert.Equal(1, embeddings.Counters["tied"]);
        var shipped = ModelReader.Read(report.Output);
        var tables = shipped.Graph.Weights().Where(w => w.Elements == 30522L * ArcticXs.HiddenSize).ToList();
        var table = Assert.Single(tables);
        Assert.Equal((int)TensorProto.Types.DataType.Int8, table.DataType);
        Assert.Contains(shipped.Proto.Graph.Node, n => n.OpType == "MatMulInteger" && shipped.Proto.Graph.Node.Any(t => t.OpType == "Transpose" && t.Input[0] == table.Name && t.Output[0] == n.Input[1]));
        var lm = report.Evaluation.Outputs.Single(o => o.Output == "mlm_logits");
        output.WriteLine($"tied head: {report.SizeRatio:P2} of the size, next-token agreement {lm.PositionAgreement:P2}, KL {lm.KlDivergence:G3}");
        Assert.InRange(report.SizeRatio, 0.2, 0.27);
        Assert.InRange(lm.PositionAgreement!.Value, 0.8, 1);
        NoLargeFloatTensor(report.Output);
    }

    [GeneratedRegex(@"runs in (\d+\.\d+) ms per sample here, int8-dynamic in (\d+\.\d+) ms")]
    private static partial Regex Timings();

    [GeneratedRegex(@"pooled cosine (\d\.\d+)")]
    private static partial Regex PooledFigure();
}
