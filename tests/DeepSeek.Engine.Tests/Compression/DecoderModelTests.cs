using DeepSeek.Engine.Compression;
using DeepSeek.Engine.Profiles;
using DeepSeek.Engine.Verification;
using DeepSeek.Onnx.IO;
using DeepSeek.Testing;
using Xunit.Abstractions;

namespace DeepSeek.Engine.Tests.Compression;

/// <summary>
/// The generated decoder-only model (DecoderModels, external data, an lm_head tied to the embeddings) through int8-dynamic
/// and int4: the output is recognised as a language model, each recipe keeps the default budget (on random token ids the
/// logits are held to their cosine: 1 % for int8-dynamic, 2 % for int4, whose 4-bit blocks of 32 cost most on narrow layers),
/// next-token agreement stays high (measured on this width-64 model: int8-dynamic 99.2 % on AVX-512 VNNI, 98.2 % on AVX2 with
/// 7-bit weights; int4 98.7 % and 97.9 %; logits cosine for int4 0.991 and 0.987), and the compressed model ships with its own
/// external data file, smaller than the source's pair.
/// </summary>
public sealed class DecoderModelTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData("int8-dynamic", 0.35, 0.975, "1%")]
    [InlineData("int4", 0.33, 0.97, "2%")]
    public void The_tiny_decoder_keeps_its_next_token_choices_and_ships_with_external_data(string quantize, double maxRatio, double minAgreement, string budget)
    {
        using var temp = new TempDirectory();
        var source = DecoderModels.Write(DecoderShape.Tiny, temp.File("models"));
        Assert.True(new FileInfo(source + ".data").Length > new FileInfo(source).Length * 10, "the weights are not in external data");

        var report = Compressor.Run(new CompressionRequest
        {
            Input = source, Output = temp.File($"decoder.{quantize}.onnx"), Profile = ProfileCatalog.BuiltIn.ForHost(), Quantize = quantize,
            Budget = AccuracyBudget.ParseOrNone(budget),
        });

        var logits = Assert.Single(report.Evaluation.Outputs);
        output.WriteLine($"{quantize}: {report.InputBytes:N0} → {report.OutputBytes:N0} bytes ({report.SizeRatio:P1}), next-token agreement {logits.PositionAgreement:P2}, KL {logits.KlDivergence:G3}; {string.Join("; ", report.Passes.Select(p => p.Result.Summary))}");
        Assert.Equal(OutputKind.LanguageModel, logits.Kind);
        Assert.Equal($"{budget}: met", report.Budget);
        Assert.InRange(logits.PositionAgreement!.Value, minAgreement, 1);
        Assert.InRange(logits.KlDivergence!.Value, 1e-7, 0.05); // quantization changed the distributions, a little
        Assert.Equal(DecoderShape.Tiny.Parameters, ModelReader.Read(source).Graph.Weights().Where(w => w.DataType == 1 && w.Name is not ("causal_mask" or "scale")).Sum(w => w.Elements));
        Assert.True(File.Exists(report.Output + ".data"));
        Assert.Equal(new FileInfo(report.Output).Length + new FileInfo(report.Output + ".data").Length, report.OutputBytes);
        Assert.InRange(report.SizeRatio, 0.05, maxRatio);
        Assert.Equal(1, report.Passes.Single(p => p.Result.Pass.StartsWith("embeddings-", StringComparison.Ordinal)).Result.Counters["tied"]);
    }
}
