using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace DeepSeek.Generators.Tests;

/// <summary><c>Preprocess="bert;..."</c> and <c>Postprocess="meanpool;l2norm"</c>: the wrapper's <c>Tokenize</c> and <c>Embed</c>, and DSG0004 for specs that cannot work.</summary>
public sealed class TextEmissionTests
{
    private static string Bert(string inputs = "input_ids,attention_mask,token_type_ids", string hidden = "384", string sequence = "\"sequence\"", int schema = 2)
    {
        var inputJson = string.Join(", ", inputs.Split(',').Select(n => $$"""{ "name": "{{n}}", "elementType": "int64", "shape": ["batch", {{sequence}}] }"""));
        return $$"""{ "schemaVersion": {{schema}}, "profile": "x64-avx2", "recipe": "int8-dynamic", "inputs": [{{inputJson}}], "outputs": [{ "name": "last_hidden_state", "elementType": "float", "shape": ["batch", {{sequence}}, {{hidden}}] }], "sessionOptions": {} }""";
    }

    private static (Compilation Output, IReadOnlyList<Diagnostic> Diagnostics) Generate(string manifest, string preprocess, string postprocess = "")
    {
        var metadata = new Dictionary<string, string> { ["DeepSeekPreprocess"] = preprocess };
        if (postprocess.Length > 0)
        {
            metadata["DeepSeekPostprocess"] = postprocess;
        }

        var (output, diagnostics, _) = GeneratorHarness.Run(GeneratorHarness.Compilation(), GeneratorHarness.Driver(metadata, ("m.model.json", manifest, "Models/minilm.onnx")));
        return (output, diagnostics);
    }

    private static string[] Parameters(INamedTypeSymbol wrapper, string name, Func<IMethodSymbol, bool>? which = null)
        => wrapper.GetMembers(name).OfType<IMethodSymbol>().Single(which ?? (_ => true)).Parameters.Select(p => p.Type.ToDisplayString() + " " + p.Name).ToArray();

    [Fact]
    public void A_bert_spec_and_meanpool_give_Tokenize_into_the_int64_inputs_and_Embed_overloads()
    {
        var (output, diagnostics) = Generate(Bert(), "bert;vocab=Models/vocab.txt;max=256", "meanpool;l2norm");

        Assert.Empty(diagnostics);
        Assert.Empty(output.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error));
        var wrapper = output.GetTypeByMetadataName("App.Models.Minilm")!;
        Assert.Equal(["string text", "System.Span<long> inputIds", "System.Span<long> attentionMask", "System.Span<long> tokenTypeIds"], Parameters(wrapper, "Tokenize"));
        Assert.Equal(["string text", "System.Span<float> embedding"], Parameters(wrapper, "Embed", m => m.Parameters[0].Type.SpecialType == SpecialType.System_String));
        Assert.Equal(["System.Collections.Generic.IReadOnlyList<string> texts", "System.Span<float> embeddings"], Parameters(wrapper, "Embed", m => m.Parameters.Length == 2 && m.Parameters[0].Type.SpecialType != SpecialType.System_String));
        Assert.Contains(wrapper.GetMembers("Embed").OfType<IMethodSymbol>(), m => m.ReturnType.ToDisplayString() == "float[][]");
        Assert.Equal(384, wrapper.GetMembers("EmbeddingSize").OfType<IFieldSymbol>().Single().ConstantValue);
        Assert.Equal(256, wrapper.GetMembers("MaxTokens").OfType<IFieldSymbol>().Single().ConstantValue);
        Assert.Equal("bert;vocab=Models/vocab.txt;max=256", wrapper.GetMembers("TokenizerSpec").OfType<IFieldSymbol>().Single().ConstantValue);
        var source = output.SyntaxTrees.Last().ToString();
        Assert.Contains("Pooling.MeanPool(run.Hidden, run.Mask", source, StringComparison.Ordinal);
        Assert.Contains("Pooling.L2Normalize", source, StringComparison.Ordinal);
        Assert.Contains("_embedSequences = { 8, 16, 32, 64, 128, 256 }", source, StringComparison.Ordinal);
    }

    [Fact]
    public void A_model_without_token_types_gets_a_Tokenize_without_them_and_cls_pooling_without_normalization()
    {
        var (output, diagnostics) = Generate(Bert("input_ids,attention_mask"), "wordpiece;vocab=vocab.txt;lowercase=true;max=64", "cls");

        Assert.Empty(diagnostics);
        Assert.Empty(output.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error));
        var wrapper = output.GetTypeByMetadataName("App.Models.Minilm")!;
        Assert.Equal(["string text", "System.Span<long> inputIds", "System.Span<long> attentionMask"], Parameters(wrapper, "Tokenize"));
        var source = output.SyntaxTrees.Last().ToString();
        Assert.Contains("Pooling.Cls(", source, StringComparison.Ordinal);
        Assert.DoesNotContain("L2Normalize", source, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("sentencepiece;model=Models/spm.model;bos=true;eos=false", "")]
    [InlineData("bpe;vocab=Models/vocab.json;merges=Models/merges.txt;max=77", "meanpool")]
    public void The_other_tokenizer_kinds_compile(string preprocess, string postprocess)
    {
        var (output, diagnostics) = Generate(Bert(), preprocess, postprocess);

        Assert.Empty(diagnostics);
        Assert.Empty(output.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error));
        Assert.Single(output.GetTypeByMetadataName("App.Models.Minilm")!.GetMembers("Tokenize"));
    }

    [Fact]
    public void A_fixed_sequence_length_is_the_only_bucket_and_a_hostile_spec_stays_a_literal()
    {
        const string Spec = "bert;vocab=a b/ünï\\v.txt;max=64; lowercase = FALSE ";
        var (output, diagnostics) = Generate(Bert(sequence: "128"), Spec, "meanpool");

        Assert.Empty(diagnostics);
        Assert.Empty(output.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error));
        var root = output.SyntaxTrees.Last().GetRoot();
        Assert.Contains(root.DescendantNodes().OfType<LiteralExpressionSyntax>(), l => l.Token.ValueText == Spec.Trim());
        Assert.Contains("_embedSequences = { 128 }", root.ToString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("bert", "", "needs vocab=PATH")]
    [InlineData("bert;vocab=../shared/vocab.txt", "", "leaves the project folder")]
    [InlineData("bert;vocab=/etc/vocab.txt", "", "is not a relative path")]
    [InlineData("bert;vocab=C:/vocab.txt", "", "is not a relative path")]
    [InlineData("bert;vocab=v*.txt", "", "not allowed in a path")]
    [InlineData("bert;vocab=v.txt;max=1", "", "max='1' is not a whole number from 2")]
    [InlineData("bert;vocab=v.txt;max=64;max=32", "", "given twice")]
    [InlineData("bert;vocab=v.txt;merges=m.txt", "", "has no option 'merges'")]
    [InlineData("bert;vocab=v.txt;lowercase=yes", "", "is not true or false")]
    [InlineData("sentencepiece;vocab=v.txt", "", "has no option 'vocab'")]
    [InlineData("bpe;vocab=v.json", "", "needs merges=PATH")]
    [InlineData("bert;vocab=v.txt", "meanpool;softmax", "use meanpool, meanpool;l2norm")]
    public void Bad_text_specs_are_DSG0004_with_the_reason(string preprocess, string postprocess, string reason)
    {
        var (_, diagnostics) = Generate(Bert(), preprocess, postprocess);

        var diagnostic = Assert.Single(diagnostics);
        Assert.Equal("DSG0004", diagnostic.Id);
        Assert.Contains(reason, diagnostic.GetMessage(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("input_ids,attention_mask,position_ids", "384", "\"sequence\"", "also has the input 'position_ids'")]
    [InlineData("attention_mask", "384", "\"sequence\"", "has no input 'input_ids'")]
    [InlineData("input_ids,attention_mask", "\"Addlast_hidden_state_dim_2\"", "\"sequence\"", "manifest schema 2")]
    [InlineData("input_ids,attention_mask", "384", "128", "fixed at 128: set max=128 or less")]
    public void A_model_the_text_helpers_do_not_fit_is_DSG0004(string inputs, string hidden, string sequence, string reason)
    {
        var (_, diagnostics) = Generate(Bert(inputs, hidden, sequence), "bert;vocab=v.txt;max=256", "meanpool");

        var diagnostic = Assert.Single(diagnostics);
        Assert.Equal("DSG0004", diagnostic.Id);
        Assert.Contains(reason, diagnostic.GetMessage(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal);
    }

    [Fact]
    public void Pooling_needs_a_tokenizer()
    {
        var metadata = new Dictionary<string, string> { ["DeepSeekPostprocess"] = "meanpool;l2norm" };
        var (_, diagnostics, _) = GeneratorHarness.Run(GeneratorHarness.Compilation(), GeneratorHarness.Driver(metadata, ("m.model.json", Bert(), "Models/minilm.onnx")));

        Assert.Contains("needs a tokenizer Preprocess", Assert.Single(diagnostics).GetMessage(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal);
    }

    [Fact]
    public void Without_DeepSeek_Runtime_Text_a_tokenizer_model_is_DSG0005_not_broken_code()
    {
        var metadata = new Dictionary<string, string> { ["DeepSeekPreprocess"] = "bert;vocab=v.txt" };
        var (_, diagnostics, _) = GeneratorHarness.Run(GeneratorHarness.Compilation(withRuntime: false), GeneratorHarness.Driver(metadata, ("m.model.json", Bert(), "Models/minilm.onnx")));

        var diagnostic = Assert.Single(diagnostics);
        Assert.Equal("DSG0005", diagnostic.Id);
        Assert.Contains("'Models/minilm.onnx'", diagnostic.GetMessage(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal);
    }
}
