using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace DeepSeek.Generators.Tests;

public sealed class GeneratorTests
{
    private static string Manifest(string inputs, string outputs, string extra = "")
        => $$"""{ "schemaVersion": 1, "profile": "x64-avx2", "recipe": "int8-static", "inputs": [{{inputs}}], "outputs": [{{outputs}}], "sessionOptions": { "session.x64quantprecision": "1" }{{extra}} }""";

    private static readonly string Mnist = Manifest("""{ "name": "input", "elementType": "float", "shape": ["N", 1, 28, 28] }""", """{ "name": "logits", "elementType": "float", "shape": ["N", 10] }""");

    [Fact]
    public void The_wrapper_of_a_model_compiles_with_typed_overloads()
    {
        var (output, diagnostics, _) = GeneratorHarness.Run(GeneratorHarness.Compilation(), GeneratorHarness.Driver(("obj/Models/mnist-cnn.onnx.model.json", Mnist, "Models/mnist-cnn.onnx")));

        Assert.Empty(diagnostics);
        Assert.Empty(output.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error));
        var wrapper = output.GetTypeByMetadataName("App.Models.MnistCnn");
        Assert.NotNull(wrapper);
        var runs = wrapper!.GetMembers("Run").OfType<IMethodSymbol>().ToArray();
        var spanRun = Assert.Single(runs, m => m.ReturnsVoid);
        Assert.Equal(["input", "logits", "n"], spanRun.Parameters.Select(p => p.Name));
        Assert.Equal("System.ReadOnlySpan<float>", spanRun.Parameters[0].Type.ToDisplayString());
        Assert.Equal("System.Span<float>", spanRun.Parameters[1].Type.ToDisplayString());
        Assert.Equal("int", spanRun.Parameters[2].Type.ToDisplayString());
        Assert.Contains(runs, m => m.ReturnType.ToDisplayString() == "float[]");
        Assert.Equal("Models/mnist-cnn.onnx", wrapper.GetMembers("ModelPath").OfType<IFieldSymbol>().Single().ConstantValue);
        Assert.Contains(wrapper.AllInterfaces, i => i.Name == "IDisposable");
        Assert.Contains("Not thread-safe", wrapper.GetDocumentationCommentXml(), StringComparison.Ordinal);
    }

    [Fact]
    public void Hostile_names_become_valid_unique_identifiers_and_inject_nothing()
    {
        const string Injection = "a\\\"; System.Environment.Exit(1); //";
        var inputs = string.Join(", ", new[] { "input.1", "0", "onnx::Flatten_0", "class", Injection, "入力", "a-b", "a_b", "session", "binding", "xBuffer", "x", "xResult" }
            .Select(n => $$"""{ "name": "{{n}}", "elementType": "float", "shape": [1, 4] }"""));
        var manifest = Manifest(inputs, """{ "name": "*/ } class Injected { /*", "elementType": "int64", "shape": ["batch size", 2] }""");
        var (output, diagnostics, _) = GeneratorHarness.Run(GeneratorHarness.Compilation(),
            GeneratorHarness.Driver(("m.model.json", manifest, "Models/x y/\"evil\".onnx")));

        Assert.Empty(diagnostics);
        Assert.Empty(output.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error));
        var generated = output.SyntaxTrees.Last();
        var root = generated.GetRoot();
        Assert.DoesNotContain(root.DescendantNodes().OfType<InvocationExpressionSyntax>(), i => i.Expression.ToString().EndsWith("Environment.Exit", StringComparison.Ordinal));
        Assert.Contains(root.DescendantNodes().OfType<LiteralExpressionSyntax>(), l => l.Token.ValueText == "a\"; System.Environment.Exit(1); //");
        Assert.DoesNotContain(root.DescendantNodes().OfType<ClassDeclarationSyntax>(), c => c.Identifier.Text == "Injected");
        var run = output.GetTypeByMetadataName("App.Models.XY.Evil")!.GetMembers("Run").OfType<IMethodSymbol>().Single(m => m.ReturnsVoid);
        var names = run.Parameters.Select(p => p.Name).ToArray();
        Assert.Equal(names.Length, names.Distinct().Count());
        Assert.Contains("input1", names);
        Assert.Contains("class", names); // @class in source
        Assert.Contains("入力", names);
    }

    [Fact]
    public void An_unrelated_edit_leaves_the_model_steps_cached()
    {
        var compilation = GeneratorHarness.Compilation();
        var (_, _, driver) = GeneratorHarness.Run(compilation, GeneratorHarness.Driver(("obj/Models/mnist-cnn.onnx.model.json", Mnist, "Models/mnist-cnn.onnx")));
        var edited = compilation.AddSyntaxTrees(CSharpSyntaxTree.ParseText("class Unrelated { }"));

        driver = driver.RunGenerators(edited);

        var steps = driver.GetRunResult().Results.Single().TrackedSteps[ModelWrapperGenerator.ParseStep];
        Assert.NotEmpty(steps);
        Assert.All(steps.SelectMany(s => s.Outputs), o => Assert.True(o.Reason is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged, o.Reason.ToString()));
    }

    [Theory]
    [InlineData("{ not json", "DSG0001")]
    [InlineData("""{ "inputs": 3 }""", "DSG0001")]
    [InlineData("""{ "inputs": [{ "name": "t", "elementType": "string", "shape": [1] }], "outputs": [] }""", "DSG0003")]
    public void Bad_manifests_are_reported_not_thrown(string manifest, string id)
    {
        var (output, diagnostics, _) = GeneratorHarness.Run(GeneratorHarness.Compilation(), GeneratorHarness.Driver(("bad.model.json", manifest, "bad.onnx")));
        var diagnostic = Assert.Single(diagnostics);
        Assert.Equal(id, diagnostic.Id);
        Assert.Equal("bad.model.json", diagnostic.Location.GetLineSpan().Path);
        Assert.Single(output.SyntaxTrees);
    }

    [Fact]
    public void Two_models_with_one_wrapper_name_are_DSG0002()
    {
        var (_, diagnostics, _) = GeneratorHarness.Run(GeneratorHarness.Compilation(),
            GeneratorHarness.Driver(("a/m.model.json", Mnist, "Models/mnist-cnn.onnx"), ("b/m.model.json", Mnist, "Models/mnist_cnn.onnx")));
        Assert.Equal("DSG0002", Assert.Single(diagnostics).Id);
    }

    private static readonly string Image = Manifest("""{ "name": "data", "elementType": "float", "shape": ["N", 3, 224, 224] }""", """{ "name": "probabilities", "elementType": "float", "shape": ["N", 1000] }""");

    [Fact]
    public void Preprocess_and_postprocess_metadata_add_typed_helpers_and_shapes_and_constructors()
    {
        var metadata = new Dictionary<string, string> { ["DeepSeekPreprocess"] = "rgb8;mean=0.485,0.456,0.406;std=0.229,0.224,0.225;layout=nchw", ["DeepSeekPostprocess"] = "topk:5" };
        var (output, diagnostics, _) = GeneratorHarness.Run(GeneratorHarness.Compilation(), GeneratorHarness.Driver(metadata, ("m.model.json", Image, "Models/classifier.onnx")));

        Assert.Empty(diagnostics);
        Assert.Empty(output.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error));
        var wrapper = output.GetTypeByMetadataName("App.Models.Classifier")!;
        Assert.Equal(224, wrapper.GetMembers("ImageHeight").OfType<IFieldSymbol>().Single().ConstantValue);
        Assert.Equal(5, wrapper.GetMembers("K").OfType<IFieldSymbol>().Single().ConstantValue);
        Assert.Equal(["rgb", "data"], wrapper.GetMembers("Preprocess").OfType<IMethodSymbol>().Single().Parameters.Select(p => p.Name));
        Assert.Single(wrapper.GetMembers("TopK"));
        Assert.Single(wrapper.GetMembers("DataShape"));
        Assert.Contains(wrapper.Constructors, c => c.Parameters.FirstOrDefault()?.Type.ToDisplayString() == "byte[]");
        Assert.Contains(wrapper.Constructors, c => c.Parameters.FirstOrDefault()?.Type.ToDisplayString() == "System.IO.Stream");
        var source = output.SyntaxTrees.Last().ToString();
        Assert.Contains("0.485f", source, StringComparison.Ordinal);
        Assert.Contains("KernelPath.Auto", source, StringComparison.Ordinal); // x64 profile: the widest path
    }

    [Theory]
    [InlineData("DeepSeekPreprocess", "bgr8")]
    [InlineData("DeepSeekPreprocess", "rgb8;mean=1,2")]
    [InlineData("DeepSeekPreprocess", "rgb8;std=0,1,1")]
    [InlineData("DeepSeekPostprocess", "topk:0")]
    [InlineData("DeepSeekPostprocess", "sigmoid")]
    public void Invalid_processing_metadata_is_DSG0004(string key, string value)
    {
        var (_, diagnostics, _) = GeneratorHarness.Run(GeneratorHarness.Compilation(),
            GeneratorHarness.Driver(new Dictionary<string, string> { [key] = value }, ("m.model.json", Image, "Models/classifier.onnx")));
        Assert.Equal("DSG0004", Assert.Single(diagnostics).Id);
    }
}

public sealed class DequantizeEmissionTests
{
    [Fact]
    public void A_uint8_output_gets_a_dequantize_helper_with_its_constants()
    {
        const string Manifest = """{ "schemaVersion": 1, "profile": "arm64-neon", "recipe": "int8-static", "inputs": [{ "name": "x", "elementType": "float", "shape": [1, 4] }], "outputs": [{ "name": "q", "elementType": "uint8", "shape": [1, 4] }], "sessionOptions": {} }""";
        var (output, diagnostics, _) = GeneratorHarness.Run(GeneratorHarness.Compilation(),
            GeneratorHarness.Driver(new Dictionary<string, string> { ["DeepSeekPostprocess"] = "dequantize:scale=0.02,zero=128" }, ("m.model.json", Manifest, "Models/quantized.onnx")));

        Assert.Empty(diagnostics);
        Assert.Empty(output.GetDiagnostics().Where(d => d.Severity == Microsoft.CodeAnalysis.DiagnosticSeverity.Error));
        var wrapper = output.GetTypeByMetadataName("App.Models.Quantized")!;
        Assert.Equal(0.02f, wrapper.GetMembers("OutputScale").OfType<Microsoft.CodeAnalysis.IFieldSymbol>().Single().ConstantValue);
        Assert.Equal(128, wrapper.GetMembers("OutputZeroPoint").OfType<Microsoft.CodeAnalysis.IFieldSymbol>().Single().ConstantValue);
        Assert.Contains("KernelPath.Vector128", output.SyntaxTrees.Last().ToString(), StringComparison.Ordinal); // arm64 profile: 128-bit path
    }
}

public sealed class PipelineModelTests
{
    [Fact]
    public void The_pipeline_models_hold_no_symbol_or_compilation()
    {
        var models = typeof(ModelWrapperGenerator).Assembly.GetTypes().Where(t => t.Namespace == "DeepSeek.Generators.Model" && !t.IsGenericTypeDefinition).ToArray();
        Assert.Contains(models, t => t.Name == "ModelSpec");
        foreach (var property in models.SelectMany(t => t.GetProperties()))
        {
            var type = property.PropertyType;
            var named = (type.IsGenericType ? type.GetGenericArguments() : [type]).Append(type);
            Assert.All(named, t => Assert.False(t.Namespace?.StartsWith("Microsoft.CodeAnalysis", StringComparison.Ordinal) == true, $"{property.DeclaringType!.Name}.{property.Name} is {t}"));
        }
    }
}
