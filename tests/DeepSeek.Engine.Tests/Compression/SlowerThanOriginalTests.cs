using System.Globalization;
using System.Text.RegularExpressions;
using DeepSeek.Engine.Compression;
using DeepSeek.Engine.Profiles;
using DeepSeek.Testing;

namespace DeepSeek.Engine.Tests.Compression;

/// <summary>DSB0067: with <c>auto</c> on the machine that is the target, a candidate slower than the original is not shipped.</summary>
public sealed partial class SlowerThanOriginalTests
{
    private sealed class Recorder : IProgress<string>
    {
        public List<string> Lines { get; } = [];

        public void Report(string value) => Lines.Add(value);
    }

    [Fact]
    public void Auto_rejects_a_dynamic_int8_model_slower_than_the_original_and_reports_both_latencies()
    {
        // A chain of small MatMuls: each costs the original one node; dynamic INT8 turns each into a quantization of its input,
        // an integer MatMul and a rescale, several nodes whose fixed cost outweighs the little arithmetic they save.
        using var temp = new TempDirectory();
        const int Width = 16, Layers = 16;
        var builder = new ModelBuilder(irVersion: 8, opset: 13).Input("x", 1, Width).Output($"h{Layers}", 1, Width);
        for (var i = 0; i < Layers; i++)
        {
            builder.Initializer($"w{i}", ModelBuilder.Random(Width * Width, i + 1, 0.3f), Width, Width).Node("MatMul", [i == 0 ? "x" : $"h{i}", $"w{i}"], [$"h{i + 1}"]);
        }

        var model = builder.Save(temp.File("chain.onnx"));
        var progress = new Recorder();

        var report = Compressor.Run(new CompressionRequest
        {
            Input = model,
            Output = temp.File("out.onnx"),
            Profile = ProfileCatalog.BuiltIn.ForHost(), // the check only runs where this machine is the target
            Quantize = "auto",
        }, progress);

        const string Id = "DSB0067";
        Assert.Contains($"int8-dynamic rejected ({Id}); trying fp16", progress.Lines);
        var attempt = Assert.Single(report.Attempts, a => a.StartsWith("int8-dynamic: ", StringComparison.Ordinal));
        var match = Latencies().Match(attempt);
        Assert.True(match.Success, attempt);
        var compressed = double.Parse(match.Groups["compressed"].Value, CultureInfo.InvariantCulture);
        var original = double.Parse(match.Groups["original"].Value, CultureInfo.InvariantCulture);
        Assert.True(compressed > original * 1.05, attempt);
        Assert.NotEqual("int8-dynamic", report.Recipe);
        Assert.True(File.Exists(temp.File("out.onnx")));
    }

    [GeneratedRegex(@"^int8-dynamic: int8-dynamic runs in (?<compressed>\d+\.\d\d) ms per sample here, the original in (?<original>\d+\.\d\d) ms$")]
    private static partial Regex Latencies();
}
