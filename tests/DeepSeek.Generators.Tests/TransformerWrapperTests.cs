using System.Text.Json;
using System.Text.Json.Nodes;
using DeepSeek.Engine.Compression;
using DeepSeek.Generators.Tests.Models;
using DeepSeek.Onnx.IO;
using DeepSeek.Testing;
using Microsoft.CodeAnalysis;
using Microsoft.ML.OnnxRuntime;

namespace DeepSeek.Generators.Tests;

/// <summary>
/// A real transformer (arctic-embed-xs, exported as PyTorch writes a BERT with a pooler: DeepSeek.Testing's
/// <see cref="ArcticXsExport"/>): with the output dims resolved at build (manifest schema 2), <c>Run</c> asks only
/// for the symbols the inputs carry.
/// </summary>
public sealed class TransformerWrapperTests
{
    private static string ExportedManifest => File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Models", "arctic-xs-exported.onnx.model.json"));

    private static string[] SpanRunParameters(string manifest)
    {
        var (output, diagnostics, _) = GeneratorHarness.Run(GeneratorHarness.Compilation(), GeneratorHarness.Driver(("m.model.json", manifest, "Models/arctic.onnx")));
        Assert.Empty(diagnostics);
        Assert.Empty(output.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error));
        return output.GetTypeByMetadataName("App.Models.Arctic")!.GetMembers("Run").OfType<IMethodSymbol>().Single(m => m.ReturnsVoid).Parameters.Select(p => p.Name).ToArray();
    }

    [Fact]
    public void Run_asks_only_for_the_input_symbols_once_the_outputs_are_resolved()
    {
        // The same manifest with each output's shape as the model declares it (what schema 1 wrote): the exporter's symbols
        // become parameters.
        var declared = JsonNode.Parse(ExportedManifest)!;
        foreach (var output in declared["outputs"]!.AsArray())
        {
            output!["shape"] = output["modelShape"]!.DeepClone();
        }

        declared["schemaVersion"] = 1;

        Assert.Equal(["inputIds", "attentionMask", "tokenTypeIds", "lastHiddenState", "m924", "batchSize", "sequenceLength", "addlastHiddenStateDim2", "tanh924Dim0"],
            SpanRunParameters(declared.ToJsonString()));
        Assert.Equal(["inputIds", "attentionMask", "tokenTypeIds", "lastHiddenState", "m924", "batchSize", "sequenceLength"], SpanRunParameters(ExportedManifest));
    }

    [Fact]
    public void A_manifest_of_a_newer_schema_is_DSG0001()
    {
        var newer = JsonNode.Parse(ExportedManifest)!;
        newer["schemaVersion"] = 3;
        var (_, diagnostics, _) = GeneratorHarness.Run(GeneratorHarness.Compilation(), GeneratorHarness.Driver(("m.model.json", newer.ToJsonString(), "Models/arctic.onnx")));
        var diagnostic = Assert.Single(diagnostics);
        Assert.Equal("DSG0001", diagnostic.Id);
        Assert.Contains("schema version 3", diagnostic.GetMessage(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal);
    }

    [Fact]
    public void The_committed_manifest_is_what_the_engine_writes_for_the_export()
    {
        var path = Path.Combine(Path.GetTempPath(), "deepseek-" + Guid.NewGuid().ToString("N") + ".json");
        try
        {
            ModelManifest.Write(path, ModelReader.Read(ArcticXsExport.ModelPath), "x64-avx2", "none", new Dictionary<string, string>(), contentFile: null);
            using var written = JsonDocument.Parse(File.ReadAllText(path));
            using var committed = JsonDocument.Parse(ExportedManifest);
            foreach (var property in new[] { "schemaVersion", "inputs", "outputs", "outputShapes" })
            {
                Assert.Equal(Compact(committed.RootElement.GetProperty(property)), Compact(written.RootElement.GetProperty(property)));
            }
        }
        finally
        {
            File.Delete(path);
        }

        static string Compact(JsonElement element) => JsonSerializer.Serialize(element);
    }

    [Fact]
    public void The_generated_wrapper_of_the_export_matches_a_plain_ONNX_Runtime_run()
    {
        const int Batch = 2, Sequence = 5;
        long[] ids = [101, 7592, 2088, 102, 0, 101, 2204, 2851, 2000, 102];
        long[] mask = [1, 1, 1, 1, 0, 1, 1, 1, 1, 1];
        var types = new long[Batch * Sequence];
        using var wrapper = new ArcticXsExported(File.ReadAllBytes(ArcticXsExport.ModelPath));
        var hidden = new float[Batch * Sequence * 384];
        var pooled = new float[Batch * 384];

        wrapper.Run(ids, mask, types, hidden, pooled, batchSize: Batch, sequenceLength: Sequence);

        using var session = new InferenceSession(ArcticXsExport.ModelPath);
        long[] shape = [Batch, Sequence];
        using var inputs = new DisposableList(
            OrtValue.CreateTensorValueFromMemory(ids, shape), OrtValue.CreateTensorValueFromMemory(mask, shape), OrtValue.CreateTensorValueFromMemory(types, shape));
        using var runOptions = new RunOptions();
        using var results = session.Run(runOptions, ["input_ids", "attention_mask", "token_type_ids"], inputs.Values, ["last_hidden_state", "924"]);
        Assert.Equal([Batch, Sequence, 384L], results[0].GetTensorTypeAndShape().Shape);
        Assert.Equal([Batch, 384L], results[1].GetTensorTypeAndShape().Shape);
        AssertClose(results[0].GetTensorDataAsSpan<float>(), hidden);
        AssertClose(results[1].GetTensorDataAsSpan<float>(), pooled);
        Assert.Equal([-1L, -1, 384], ArcticXsExported.LastHiddenStateShape.ToArray());
        Assert.Equal([-1L, 384], ArcticXsExported.M924Shape.ToArray());
    }

    private static void AssertClose(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        var worst = 0f;
        for (var i = 0; i < expected.Length; i++)
        {
            worst = Math.Max(worst, Math.Abs(expected[i] - actual[i]));
        }

        Assert.True(worst < 1e-4f, $"largest difference {worst}");
    }

    private sealed class DisposableList(params OrtValue[] values) : IDisposable
    {
        public IReadOnlyCollection<OrtValue> Values => values;

        public void Dispose()
        {
            foreach (var value in values)
            {
                value.Dispose();
            }
        }
    }
}
