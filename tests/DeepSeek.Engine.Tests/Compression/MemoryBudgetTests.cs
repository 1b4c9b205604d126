using DeepSeek.Engine.Compression;
using DeepSeek.Engine.Data;
using DeepSeek.Engine.Graph;
using DeepSeek.Engine.Passes;
using DeepSeek.Engine.Profiles;
using DeepSeek.Engine.Runtime;
using DeepSeek.Engine.Verification;
using DeepSeek.Onnx.Diagnostics;
using DeepSeek.Onnx.IO;
using DeepSeek.Onnx.Model;
using DeepSeek.Testing;
using Google.Protobuf;

namespace DeepSeek.Engine.Tests.Compression;

/// <summary>
/// Large models within a memory budget (issue 14), on the generated decoder (external data): block-by-block runs give the
/// whole model's outputs; a compression whose two models do not fit the budget together is verified one model at a time,
/// block by block, with the same figures as side by side; passes write new weights into the model's weight store, so the
/// proto holds none of their bytes; a cancelled compression leaves nothing behind.
/// </summary>
public sealed class MemoryBudgetTests
{
    [Fact]
    public void Block_by_block_the_decoder_gives_the_outputs_of_one_session()
    {
        using var temp = new TempDirectory();
        var path = DecoderModels.Write(DecoderShape.Tiny, temp.File("models"));
        var model = ModelReader.Read(path);
        var samples = RandomInputs.Create(model, 3, seed: 4);
        var blocks = BlockRunner.Cut(model.Proto.Graph, 40_000).Count;
        var messages = new List<string>();

        var outputs = BlockRunner.Run(model, samples, 40_000, progress: new Recorder(messages));

        Assert.InRange(blocks, 5, 60); // the tiny decoder's 0.6 MB of weights in blocks of 40 kB
        Assert.Contains($"running block {blocks}/{blocks}", messages.Last(), StringComparison.Ordinal);
        using var session = ModelSession.Open(path);
        for (var s = 0; s < samples.Count; s++)
        {
            var expected = session.Run(samples[s])["logits"].GetData<float>();
            var actual = outputs[s]["logits"].GetData<float>();
            Assert.Equal(expected.Length, actual.Length);
            var peak = expected.Max(MathF.Abs);
            Assert.All(expected.Zip(actual), p => Assert.InRange(Math.Abs(p.First - p.Second), 0, 1e-4 * peak));
        }
    }

    [Fact]
    public void Under_a_budget_the_two_models_do_not_fit_in_verification_runs_one_at_a_time_in_blocks_with_the_same_figures()
    {
        using var temp = new TempDirectory();
        var source = DecoderModels.Write(DecoderShape.Tiny, temp.File("models"));
        var wide = Compress(source, temp.File("wide.onnx"), null, []);
        var messages = new List<string>();
        var narrow = Compress(source, temp.File("narrow.onnx"), 200_000, messages);

        Assert.Contains(messages, m => m.StartsWith("verifying one model at a time", StringComparison.Ordinal));
        Assert.Contains(messages, m => m.StartsWith("running block 2/", StringComparison.Ordinal));
        Assert.DoesNotContain(wide.Item2, m => m.StartsWith("running block", StringComparison.Ordinal));
        var a = Assert.Single(wide.Item1.Evaluation.Outputs);
        var b = Assert.Single(narrow.Item1.Evaluation.Outputs);
        Assert.Equal(a.MeanCosine, b.MeanCosine, 5);
        Assert.Equal(a.PositionAgreement!.Value, b.PositionAgreement!.Value, 6);
        Assert.Equal(File.ReadAllBytes(temp.File("wide.onnx.data")), File.ReadAllBytes(temp.File("narrow.onnx.data")));
        Assert.Equal(["narrow.onnx", "narrow.onnx.data", "wide.onnx", "wide.onnx.data"],
            Directory.GetFileSystemEntries(temp.Path).Select(Path.GetFileName).Where(n => n != "models").Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Passes_write_new_weights_into_the_weight_store_and_the_proto_keeps_none_of_their_bytes()
    {
        using var temp = new TempDirectory();
        var source = DecoderModels.Write(DecoderShape.Small with { Name = "wide", Vocabulary = 500, Layers = 1, Width = 512, Heads = 4, Ffn = 1024 }, temp.File("models"));
        var model = ModelReader.Read(source);
        var working = new OnnxModel(model.Proto.Clone(), model.DisplayPath, model.BaseDirectory);
        using var store = new ExternalDataFile(temp.File("out.onnx.data"));
        working.OutputData = store;
        var messages = new List<string>();

        new Int4BlockPass(32, symmetric: false, accuracyLevel: 4).Run(new PassContext(working) { Log = new Recorder(messages) });

        var nbits = working.Proto.Graph.Node.Where(n => n.OpType == "MatMulNBits").ToList();
        Assert.Equal(7, nbits.Count); // q, k, v, o, gate, up and down: each at least 128 kB in 4 bits, over the store's 64 kB threshold
        Assert.All(nbits, n => Assert.True(store.Holds(working.Proto.Graph.Initializer.Single(t => t.Name == n.Input[1]))));
        Assert.All(working.Proto.Graph.Initializer, t => Assert.True(ExternalDataInfo.IsExternal(t) || t.RawData.Length < GraphEditor.StoredBytes, t.Name));
        Assert.True(working.Proto.CalculateSize() < store.Length / 4, $"the proto holds {working.Proto.CalculateSize()} bytes, the store {store.Length}");
        Assert.Equal(Enumerable.Range(1, 7).Select(i => $"int4-block {i}/7"), messages.Select(m => m[..m.IndexOf(':', StringComparison.Ordinal)]));
    }

    [Fact]
    public void A_compression_cancelled_between_tensors_leaves_no_file_behind()
    {
        using var temp = new TempDirectory();
        var source = DecoderModels.Write(DecoderShape.Tiny, temp.File("models"));
        using var cancel = new CancellationTokenSource();
        var progress = new Recorder([], m =>
        {
            if (m.StartsWith("int4-block 3/", StringComparison.Ordinal))
            {
                cancel.Cancel();
            }
        });

        Assert.ThrowsAny<OperationCanceledException>(() => Compressor.Run(new CompressionRequest
        {
            Input = source, Output = temp.File("decoder.onnx"), Profile = ProfileCatalog.BuiltIn.ForHost(), Quantize = "int4", Budget = null,
        }, progress, cancel.Token));

        Assert.Equal(["models"], Directory.GetFileSystemEntries(temp.Path).Select(Path.GetFileName));
    }

    /// <summary>GPTQ's XᵀX of every MatMul input (the tiny decoder's: 0.7 MB) past half the budget: auto rounds to nearest,
    /// an explicit gptq is DSB0065 naming the sizes.</summary>
    [Fact]
    public void GPTQ_statistics_over_half_the_budget_round_to_nearest_under_auto_and_refuse_explicit_gptq()
    {
        using var temp = new TempDirectory();
        var source = DecoderModels.Write(DecoderShape.Tiny, temp.File("models"));
        var data = Directory.CreateDirectory(temp.File("data")).FullName;
        var random = new Random(3);
        for (var i = 0; i < 4; i++)
        {
            NpyWriter.Write(Path.Combine(data, $"s{i}.npy"), TensorValue.Create(Enumerable.Range(0, 12).Select(_ => (long)random.Next(1000)).ToArray(), 1, 12));
        }

        CompressionRequest Request(Int4Method method, long memory) => new()
        {
            Input = source, Output = temp.File($"{method}-{memory}.onnx"), Profile = ProfileCatalog.BuiltIn.ForHost(), Quantize = "int4",
            CalibrationFolder = data, Int4Method = method, Budget = null, MaxMemory = memory,
        };

        Assert.Equal(14, Compressor.Run(Request(Int4Method.Auto, 64L << 20)).Passes.Single(p => p.Result.Pass == "int4-block").Result.Counters["gptq"]);
        var messages = new List<string>();
        var rounded = Compressor.Run(Request(Int4Method.Auto, 1L << 20), new Recorder(messages));
        Assert.Equal(0, rounded.Passes.Single(p => p.Result.Pass == "int4-block").Result.Counters["gptq"]);
        Assert.Contains(messages, m => m.StartsWith("GPTQ's input statistics", StringComparison.Ordinal));
        var e = Assert.Throws<DeepSeekException>(() => Compressor.Run(Request(Int4Method.Gptq, 1L << 20)));
        Assert.Equal(DiagnosticIds.InvalidOption.Id, e.Id);
        Assert.Contains("more than half the memory budget", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("3GB", 3L << 30)]
    [InlineData("2500MB", 2500L << 20)]
    [InlineData("12G", 12L << 30)]
    [InlineData("1.5 GiB", 3L << 29)]
    [InlineData("100000000", 100_000_000)]
    public void Memory_sizes_read_with_binary_units(string text, long bytes) => Assert.Equal(bytes, MemoryBudget.Parse(text));

    [Theory]
    [InlineData("3XB")]
    [InlineData("10MB")]
    [InlineData("lots")]
    [InlineData("")]
    public void A_memory_size_that_is_not_one_is_DSB0065(string text)
    {
        var e = Assert.Throws<DeepSeekException>(() => MemoryBudget.Parse(text));
        Assert.Equal(DiagnosticIds.InvalidOption.Id, e.Id);
        Assert.Contains("--max-memory", e.Message, StringComparison.Ordinal);
    }

    private static (CompressionReport, List<string>) Compress(string source, string output, long? memory, List<string> messages)
    {
        var report = Compressor.Run(new CompressionRequest
        {
            Input = source, Output = output, Profile = ProfileCatalog.BuiltIn.ForHost(), Quantize = "int8-dynamic", Budget = null, MaxMemory = memory,
        }, new Recorder(messages));
        return (report, messages);
    }

    /// <summary>Records progress synchronously (Progress&lt;T&gt; would post to the thread pool).</summary>
    private sealed class Recorder(List<string> messages, Action<string>? then = null) : IProgress<string>
    {
        public void Report(string value)
        {
            messages.Add(value);
            then?.Invoke(value);
        }
    }
}
