using DeepSeek.Engine.Compression;
using DeepSeek.Engine.Data;
using DeepSeek.Engine.Profiles;
using DeepSeek.Engine.Runtime;
using DeepSeek.Engine.Verification;
using DeepSeek.Onnx.Diagnostics;
using DeepSeek.Onnx.IO;
using DeepSeek.Onnx.Protobuf;
using DeepSeek.Testing;
using Xunit.Abstractions;

namespace DeepSeek.Engine.Tests.Compression;

/// <summary>
/// Issue 12, part 4: verification compares every output whatever its element type, fails when it compared nothing or when the
/// data or the original's outputs are not numbers, and makes varied, plausible random inputs when no data is given.
/// </summary>
public sealed class HonestEvidenceTests(ITestOutputHelper output)
{
    private const int ArcticRows = 30522; // arctic-embed-xs's word-embedding table

    private static CompressionRequest Request(TempDirectory temp, string model, string quantize, string? calibration = null, string? budget = null,
        IReadOnlyDictionary<string, long>? dims = null) => new()
        {
            Input = model,
            Output = temp.File("out.onnx"),
            Profile = ProfileCatalog.BuiltIn.Get("x64-avx2"),
            Quantize = quantize,
            CalibrationFolder = calibration,
            Budget = budget is null ? null : AccuracyBudget.Parse(budget),
            Dims = dims ?? new Dictionary<string, long>(),
        };

    [Fact]
    public void ArcticXs_random_inputs_are_token_ids_within_the_table_masks_of_ones_and_differ_from_sample_to_sample()
    {
        var model = ModelReader.Read(ArcticXs.Instance.Model);
        var samples = RandomInputs.Create(model, Compressor.RandomSamples, seed: 1);

        Assert.Equal(8, samples.Count);
        for (var s = 0; s < samples.Count; s++)
        {
            var ids = samples[s]["input_ids"];
            Assert.Equal([1 + (s % 2), 32], ids.Shape); // batch_size alternates 1 and 2; sequence_length 32
            var values = ids.GetData<long>();
            Assert.All(values, v => Assert.InRange(v, 0, ArcticRows - 1));
            Assert.True(values.Distinct().Count() > 16, $"sample {s}: {values.Distinct().Count()} distinct token ids of {values.Length}");
            Assert.All(samples[s]["attention_mask"].GetData<long>(), v => Assert.Equal(1, v));
            Assert.All(samples[s]["token_type_ids"].GetData<long>(), v => Assert.Equal(0, v));
        }

        // Spread over the table, not clustered at 0.
        Assert.True(samples.SelectMany(x => x["input_ids"].GetData<long>()).Max() > ArcticRows / 2);
        for (var a = 0; a < samples.Count; a++)
        {
            for (var b = a + 1; b < samples.Count; b++)
            {
                Assert.False(samples[a]["input_ids"].GetData<long>().SequenceEqual(samples[b]["input_ids"].GetData<long>()), $"samples {a} and {b} are equal");
            }
        }

        // Seeded: the same seed gives the same samples.
        Assert.Equal(samples[3]["input_ids"].GetData<long>(), RandomInputs.Create(model, 8, seed: 1)[3]["input_ids"].GetData<long>());
    }

    [Fact]
    public void A_dim_override_sets_the_symbol_and_an_unknown_symbol_is_DSB0065()
    {
        var model = ModelReader.Read(ArcticXs.Instance.Model);
        var samples = RandomInputs.Create(model, 2, seed: 1, new Dictionary<string, long> { ["sequence_length"] = 16, ["batch_size"] = 3 });
        Assert.All(samples, s => Assert.Equal([3, 16], s["input_ids"].Shape));
        Assert.All(samples, s => Assert.Equal([3, 16], s["attention_mask"].Shape));

        var e = Assert.Throws<DeepSeekException>(() => RandomInputs.Create(model, 2, seed: 1, new Dictionary<string, long> { ["seq"] = 16 }));
        Assert.Equal("DSB0065", e.Id);
        Assert.Contains("sequence_length", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("batch_size", 0, 1)]
    [InlineData("batch_size", 1, 2)]
    [InlineData("N", 1, 2)]
    [InlineData("sequence_length", 0, 32)]
    [InlineData("seq_len", 0, 32)]
    [InlineData("height", 0, 224)]
    [InlineData("num_boxes", 0, 8)]
    [InlineData(null, 0, 8)]
    public void Symbolic_dims_take_their_documented_defaults_by_name(string? symbol, int sample, long size)
        => Assert.Equal(size, RandomInputs.Size(symbol, sample));

    /// <summary>
    /// On the new random inputs (real token ids) int8-dynamic ArcticXs is measured on 12 rows of 32 tokens; on the old
    /// all-zero inputs every sample was the same sequence of [PAD] tokens. The figures are in the test output.
    /// </summary>
    [Fact]
    public void ArcticXs_int8_dynamic_is_verified_on_varied_token_ids_and_the_report_says_random()
    {
        using var temp = new TempDirectory();
        var request = Request(temp, ArcticXs.Instance.Model, "int8-dynamic");
        var report = Compressor.Run(request);

        Assert.Equal("random", report.Evaluation.Data);
        Assert.Equal(8, report.Evaluation.Samples);
        var hidden = Assert.Single(report.Evaluation.Outputs);
        Assert.Equal("last_hidden_state", hidden.Output);
        Assert.Equal("float", hidden.ElementType);
        Assert.Null(hidden.ExactAgreement);
        Assert.True(hidden.IsFinite);

        // The old evidence: 8 identical all-zero samples of [1,1].
        var model = ModelReader.Read(ArcticXs.Instance.Model);
        var zeros = Enumerable.Range(0, 8).Select(_ => (IReadOnlyDictionary<string, TensorValue>)model.Graph.Inputs
            .ToDictionary(i => i.Name, i => TensorValue.Create(new long[1], 1, 1))).ToList();
        using var original = ModelSession.Open(ArcticXs.Instance.Model, null);
        using var compressed = ModelSession.Open(request.Output, report.SessionOptions);
        var old = Assert.Single(Evaluator.Compare(original, compressed, zeros, null, "zeros", request.Output).Outputs);
        output.WriteLine($"random token ids: rows {report.Evaluation.Rows}, cosine mean {hidden.MeanCosine:F6} min {hidden.MinCosine:F6}, max abs {hidden.MaxAbsoluteError:G4}");
        output.WriteLine($"old all-zero [1,1]: cosine mean {old.MeanCosine:F6} min {old.MinCosine:F6}, max abs {old.MaxAbsoluteError:G4}");

        Assert.Equal(12, report.Evaluation.Rows); // 4 samples of batch 1 and 4 of batch 2
        Assert.InRange(hidden.MeanCosine, 0.9, 1.0);
        Assert.True(hidden.MinCosine < hidden.MeanCosine, "rows differ, so their cosines do");
    }

    [Fact]
    public void A_calibration_sample_holding_NaN_is_DSB0057_naming_the_file_and_the_input_and_nothing_is_written()
    {
        using var temp = new TempDirectory();
        var digits = MnistDigits.Training.Take(4).Select(d => (Image: (float[])d.Image.Clone(), d.Label)).ToList();
        digits[2].Image[300] = float.NaN;
        var folder = MnistDigits.WriteDataFolder(temp.File("data"), digits, cnnLayout: false);

        var request = Request(temp, TestAssets.MnistMlp, "int8-dynamic", folder);
        var e = Assert.Throws<DeepSeekException>(() => Compressor.Run(request));

        Assert.Equal("DSB0057", e.Id);
        Assert.Contains("'sample_00002.npy'", e.Message, StringComparison.Ordinal);
        Assert.Contains("NaN in input 'input' (element 300)", e.Message, StringComparison.Ordinal);
        Assert.False(File.Exists(request.Output));
    }

    [Fact]
    public void A_sample_on_which_the_original_gives_infinity_is_DSB0058_naming_the_sample_and_the_output()
    {
        using var temp = new TempDirectory();
        var digits = MnistDigits.Training.Take(3).Select(d => (Image: (float[])d.Image.Clone(), d.Label)).ToList();
        Array.Fill(digits[1].Image, 3e38f); // finite pixels, but the MLP's sums overflow
        var folder = MnistDigits.WriteDataFolder(temp.File("data"), digits, cnnLayout: false);

        var request = Request(temp, TestAssets.MnistMlp, "int8-dynamic", folder);
        var e = Assert.Throws<DeepSeekException>(() => Compressor.Run(request));

        Assert.Equal("DSB0058", e.Id);
        Assert.Contains("on sample 'sample_00001.npy' the original model's output 'logits' holds", e.Message, StringComparison.Ordinal);
        Assert.False(File.Exists(request.Output));
    }

    [Fact]
    public void A_verification_of_no_samples_or_only_empty_outputs_is_DSB0069()
    {
        using var temp = new TempDirectory();
        // x[N,4] → Slice to [N,0]: the only output holds no element.
        var model = new ModelBuilder()
            .Input("x", "N", 4)
            .Node("Slice", ["x", "starts", "ends", "axes"], ["y"])
            .Output("y", "N", 0);
        model.Graph.Initializer.Add(Int64("starts", 4));
        model.Graph.Initializer.Add(Int64("ends", 4));
        model.Graph.Initializer.Add(Int64("axes", 1));
        var path = model.Save(temp.File("empty.onnx"));

        var request = Request(temp, path, "none");
        var e = Assert.Throws<DeepSeekException>(() => Compressor.Run(request));
        Assert.Equal("DSB0069", e.Id);
        Assert.Contains("compared no output (every output was empty)", e.Message, StringComparison.Ordinal);
        Assert.False(File.Exists(request.Output));

        using var session = ModelSession.Open(TestAssets.MnistMlp, null);
        var none = Assert.Throws<DeepSeekException>(() => Evaluator.Compare(session, session, [], null, "data", "m.onnx"));
        Assert.Equal(DiagnosticIds.NothingCompared.Id, none.Id);
        Assert.Contains("there were no samples", none.Message, StringComparison.Ordinal);
    }

    /// <summary>One rule on a built model: float16, double and int64 outputs are all compared (before, only float32 was).</summary>
    [Fact]
    public void Float16_double_and_integer_outputs_are_compared_and_integers_report_their_equal_share()
    {
        using var temp = new TempDirectory();
        var builder = new ModelBuilder()
            .Input("x", "N", 64)
            .Initializer("w", ModelBuilder.Random(64 * 16, 3, 0.2f), 64, 16)
            .Node("MatMul", ["x", "w"], ["y"])
            .Node("Cast", ["y"], ["half"], "", new AttributeProto { Name = "to", Type = AttributeProto.Types.AttributeType.Int, I = (long)TensorProto.Types.DataType.Float16 })
            .Node("Cast", ["y"], ["wide"], "", new AttributeProto { Name = "to", Type = AttributeProto.Types.AttributeType.Int, I = (long)TensorProto.Types.DataType.Double })
            .Node("ArgMax", ["y"], ["top"], "", new AttributeProto { Name = "axis", Type = AttributeProto.Types.AttributeType.Int, I = 1 });
        builder.Graph.Output.Add(Typed("half", TensorProto.Types.DataType.Float16, "N", 16));
        builder.Graph.Output.Add(Typed("wide", TensorProto.Types.DataType.Double, "N", 16));
        builder.Graph.Output.Add(Typed("top", TensorProto.Types.DataType.Int64, "N", 1));
        var path = builder.Save(temp.File("types.onnx"));

        var report = Compressor.Run(Request(temp, path, "int8-dynamic"));

        var byName = report.Evaluation.Outputs.ToDictionary(o => o.Output);
        Assert.Equal(["half", "wide", "top"], report.Evaluation.Outputs.Select(o => o.Output));
        Assert.Equal("float16", byName["half"].ElementType);
        Assert.Equal("double", byName["wide"].ElementType);
        Assert.Equal("int64", byName["top"].ElementType);
        Assert.InRange(byName["half"].MeanCosine, 0.99, 1.0);
        Assert.InRange(byName["wide"].MeanCosine, 0.99, 1.0);
        Assert.Null(byName["half"].ExactAgreement);
        Assert.InRange(byName["top"].ExactAgreement!.Value, 0.5, 1.0);
    }

    [Fact]
    public void A_budget_is_missed_by_a_non_finite_figure_or_an_integer_output_that_is_not_exactly_equal()
    {
        var budget = AccuracyBudget.Parse("1%");
        var good = new OutputMetrics("y", 0.999, 0.99, 0.01, 0.01, 1);
        Assert.Null(budget.Check(Result(good)));

        var nan = budget.Check(Result(good with { MeanCosine = double.NaN, MinCosine = double.NaN }));
        Assert.Contains("figures that are not numbers (cosine mean NaN", nan, StringComparison.Ordinal);

        var ids = budget.Check(Result(good, new OutputMetrics("ids", 1, 1, 1, 1, 1) { ElementType = "int64", ExactAgreement = 0.995 }));
        Assert.Contains("int64 output 'ids' equals the original's in 99.50 % of its elements", ids, StringComparison.Ordinal);

        Assert.Null(budget.Check(Result(good, new OutputMetrics("ids", 1, 1, 0, 0, 1) { ElementType = "int64", ExactAgreement = 1 })));

        static EvaluationResult Result(params OutputMetrics[] outputs) => new(8, 8, "random", outputs, null, null);
    }

    private static TensorProto Int64(string name, long value)
    {
        var tensor = new TensorProto { Name = name, DataType = (int)TensorProto.Types.DataType.Int64 };
        tensor.Dims.Add(1);
        tensor.Int64Data.Add(value);
        return tensor;
    }

    private static ValueInfoProto Typed(string name, TensorProto.Types.DataType type, params object[] dims)
    {
        var value = ModelBuilder.Value(name, dims);
        value.Type.TensorType.ElemType = (int)type;
        return value;
    }
}
