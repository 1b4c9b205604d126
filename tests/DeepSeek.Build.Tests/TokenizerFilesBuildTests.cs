using DeepSeek.Testing;

namespace DeepSeek.Build.Tests;

/// <summary>
/// A tokenizer <c>Preprocess</c> through a real build: the files it names reach bin/ at the same relative path (where
/// DeepSeek.Runtime's TextTokenizer looks), a missing one is DSR0003, and the spec reaches the compiler whole.
/// </summary>
public sealed class TokenizerFilesBuildTests
{
    private const string Item = """<DeepSeekModel Include="Models/mnist-mlp.onnx" Quantize="none" Preprocess="bert;vocab=Models/text/vocab.txt;max=16" Postprocess="meanpool;l2norm" />""";

    [Fact]
    public void The_files_a_spec_names_are_copied_to_the_same_path_and_the_spec_reaches_the_compiler_whole()
    {
        using var app = new TestApp(Item);
        Directory.CreateDirectory(app.File("Models/text"));
        File.WriteAllText(app.File("Models/text/vocab.txt"), "[PAD]\n[UNK]\n[CLS]\n[SEP]\nhello\n");

        var (code, log) = app.Dotnet("build", "-v:n");

        Assert.True(code == 0, log);
        Assert.Equal(File.ReadAllText(app.File("Models/text/vocab.txt")), File.ReadAllText(app.File("bin/Debug/net10.0/Models/text/vocab.txt")));
        var editorConfig = File.ReadAllText(Directory.GetFiles(app.File("obj/Debug/net10.0"), "*.GeneratedMSBuildEditorConfig.editorconfig").Single());
        Assert.Contains("build_metadata.AdditionalFiles.DeepSeekPreprocess = bert|vocab=Models/text/vocab.txt|max=16", editorConfig, StringComparison.Ordinal);
        Assert.Contains("build_metadata.AdditionalFiles.DeepSeekPostprocess = meanpool|l2norm", editorConfig, StringComparison.Ordinal);
    }

    [Fact]
    public void A_missing_file_is_DSR0003_naming_it()
    {
        using var app = new TestApp(Item);

        var (code, log) = app.Dotnet("build", "-v:n");

        Assert.NotEqual(0, code);
        Assert.Contains("error DSR0003: Models/text/vocab.txt:", log, StringComparison.Ordinal);
    }
}
