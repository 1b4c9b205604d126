using DeepSeek.Testing;
using Xunit.Abstractions;

namespace DeepSeek.Build.Tests;

/// <summary>
/// arctic-embed-xs declared with a tokenizer and mean pooling, through a real build of a fresh app with the generator and
/// DeepSeek.Runtime: the spec crosses the .editorconfig whole, the vocabulary reaches bin/, the wrapper's Embed runs.
/// </summary>
public sealed class TextModelBuildTests(ITestOutputHelper output)
{
    [Fact]
    public void An_app_embeds_text_through_the_generated_Embed()
    {
        var root = TestAssets.RepositoryRoot;
        using var app = new TestApp($"""
            <DeepSeekModel Include="Models/arctic-xs.onnx" Quantize="none" ClassName="Arctic" Preprocess="bert;vocab=Models/arctic/vocab.txt;max=128" Postprocess="meanpool;l2norm" />
            <ProjectReference Include="{root}/src/DeepSeek.Runtime/DeepSeek.Runtime.csproj" />
            <ProjectReference Include="{root}/analyzers/DeepSeek.Generators/DeepSeek.Generators.csproj" OutputItemType="Analyzer" ReferenceOutputAssembly="false" />
            """, """
            using var model = new App.Models.Arctic();
            string[] texts = ["The quick brown fox jumps over the lazy dog.", "A fast auburn fox leaped over a sleepy hound.", "How do I reset my password?"];
            var vectors = new float[texts.Length * App.Models.Arctic.EmbeddingSize];
            model.Embed(texts, vectors);
            float Dot(int a, int b) => System.Numerics.Tensors.TensorPrimitives.Dot(vectors.AsSpan(a * 384, 384), vectors.AsSpan(b * 384, 384));
            Console.WriteLine(FormattableString.Invariant($"paraphrase {Dot(0, 1):F4} unrelated {Dot(0, 2):F4} norm {Dot(0, 0):F4}"));
            """);
        File.Copy(TestAssets.ArcticXs.Model, app.File("Models/arctic-xs.onnx"));
        Directory.CreateDirectory(app.File("Models/arctic"));
        File.Copy(TestAssets.ArcticXs.Vocabulary, app.File("Models/arctic/vocab.txt"));

        var (code, log) = app.Dotnet("build", "-v:n");
        Assert.True(code == 0, log);
        Assert.True(File.Exists(app.File("bin/Debug/net10.0/Models/arctic/vocab.txt")));

        (code, log) = app.Dotnet("run", "--no-build");
        Assert.True(code == 0, log);
        output.WriteLine(log.Trim());
        var figures = log.Trim().Split(' ');
        Assert.Equal("paraphrase", figures[0]);
        var paraphrase = double.Parse(figures[1], System.Globalization.CultureInfo.InvariantCulture);
        var unrelated = double.Parse(figures[3], System.Globalization.CultureInfo.InvariantCulture);
        Assert.True(paraphrase > unrelated, log);
        Assert.Equal("1.0000", figures[5]);
    }
}
