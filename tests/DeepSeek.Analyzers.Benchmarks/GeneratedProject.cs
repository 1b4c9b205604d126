using System.Globalization;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Testing;

namespace DeepSeek.Analyzers.Benchmarks;

/// <summary>
/// A generated 200-file project: application code (records, LINQ, string building, collections) in every file; in one
/// file of four, training code on DeepSeek.Torch (3.x, and a 2.x Adam loop in one of those in five); in another one of
/// four, calls of a generated model wrapper.
/// </summary>
internal static class GeneratedProject
{
    public const int Files = 200;

    public static async Task<CSharpCompilation> CreateAsync()
    {
        var references = await ReferenceAssemblies.Net.Net80.ResolveAsync(LanguageNames.CSharp, CancellationToken.None);
        var assemblies = new[] { typeof(DeepSeek.Torch.Quantization.DynamicQuantizer), typeof(TorchSharp.torch), typeof(DeepSeek.Runtime.TensorShapeAttribute) }
            .Select(t => MetadataReference.CreateFromFile(t.Assembly.Location));
        var trees = Enumerable.Range(0, Files).Select(i => CSharpSyntaxTree.ParseText(Source(i), path: $"File{i:D3}.cs")).Append(CSharpSyntaxTree.ParseText(Wrapper, path: "Wrapper.g.cs"));
        return CSharpCompilation.Create("Generated", trees, references.AddRange(assemblies),
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable, concurrentBuild: false));
    }

    /// <summary>Writes the project to <paramref name="folder"/>: the sources and a csproj that references the DeepSeek
    /// assemblies as built, and adds <paramref name="analyzers"/> when built with <c>-p:WithDeepSeekAnalyzers=true</c>.</summary>
    public static void WriteTo(string folder, IEnumerable<string> analyzers)
    {
        for (var i = 0; i < Files; i++)
        {
            File.WriteAllText(Path.Combine(folder, $"File{i:D3}.cs"), Source(i));
        }

        File.WriteAllText(Path.Combine(folder, "Wrapper.g.cs"), Wrapper);
        var references = string.Concat(new[] { typeof(DeepSeek.Torch.Quantization.DynamicQuantizer), typeof(TorchSharp.torch), typeof(DeepSeek.Runtime.TensorShapeAttribute) }
            .Select(t => $"    <Reference Include=\"{t.Assembly.Location}\" />\n"));
        File.WriteAllText(Path.Combine(folder, "Generated.csproj"), $$"""
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup>
                <TargetFramework>net8.0</TargetFramework>
                <Nullable>enable</Nullable>
                <ImplicitUsings>disable</ImplicitUsings>
                <NoWarn>$(NoWarn);CS1591;CS8618;CS0168;CS0219</NoWarn>
              </PropertyGroup>
              <ItemGroup>
            {{references}}  </ItemGroup>
              <ItemGroup Condition="'$(WithDeepSeekAnalyzers)' == 'true'">
            {{string.Concat(analyzers.Select(a => $"    <Analyzer Include=\"{a}\" />\n"))}}  </ItemGroup>
            </Project>
            """);
        File.WriteAllText(Path.Combine(folder, "Directory.Build.props"), "<Project />");
        File.WriteAllText(Path.Combine(folder, "Directory.Packages.props"), "<Project><PropertyGroup><ManagePackageVersionsCentrally>false</ManagePackageVersionsCentrally></PropertyGroup></Project>");
    }

    private static string Source(int i) => Usings + Application(i) + (i % 4) switch
    {
        0 => Training(i),
        1 => Inference(i),
        _ => "",
    };

    private const string Usings = """
        using System;
        using System.Collections.Generic;
        using System.Linq;
        using System.Text;
        using DeepSeek.Torch.Distributed;
        using DeepSeek.Torch.Optim;
        using DeepSeek.Torch.Pruning;
        using DeepSeek.Torch.Quantization;
        using static TorchSharp.torch;

        """;

    private static string Application(int i) => string.Create(CultureInfo.InvariantCulture, $$"""
        namespace Generated.Part{{i}}
        {
            public sealed record Order{{i}}(int Id, string Customer, decimal Amount, DateTime Placed);

            public sealed class OrderService{{i}}
            {
                private readonly Dictionary<int, Order{{i}}> orders = new();

                public void Add(Order{{i}} order)
                {
                    if (order.Amount <= 0)
                    {
                        throw new ArgumentOutOfRangeException(nameof(order), "amount must be positive");
                    }

                    orders[order.Id] = order;
                }

                public IReadOnlyList<(string Customer, decimal Total)> TopCustomers(int count) =>
                    orders.Values.GroupBy(o => o.Customer)
                        .Select(g => (g.Key, g.Sum(o => o.Amount)))
                        .OrderByDescending(p => p.Item2)
                        .Take(count)
                        .ToList();

                public string Report(DateTime since)
                {
                    var builder = new StringBuilder();
                    foreach (var order in orders.Values.Where(o => o.Placed >= since).OrderBy(o => o.Placed))
                    {
                        builder.Append(order.Id).Append(';').Append(order.Customer).Append(';').AppendLine(order.Amount.ToString("F2", System.Globalization.CultureInfo.InvariantCulture));
                    }

                    return builder.ToString();
                }

                public static int Checksum(string text)
                {
                    var sum = 0;
                    for (var k = 0; k < text.Length; k++)
                    {
                        sum = unchecked((sum * 31) + text[k]);
                    }

                    return sum;
                }
            }
        }

        """);

    private static string Training(int i) => string.Create(CultureInfo.InvariantCulture, $$"""
        namespace Generated.Part{{i}}
        {
            public sealed class Trainer{{i}}
            {
                public double Train(nn.Module<Tensor, Tensor> model, Tensor x, Tensor y, int epochs)
                {
                    using var quantizer = new DynamicQuantizer(model, bits: {{(i % 8 == 0 ? 8 : 4)}}).Optimize();
                    new StructuredPruner(model, 0.3).Prune();
                    var optimizer = {{(i % 20 == 0 ? "optim.Adam(model.parameters(), lr: 1e-3)" : "new DeepSeekOptimizer(model.parameters(), lr: 1e-3)")}};
                    var losses = new List<float>();
                    for (var epoch = 0; epoch < epochs; epoch++)
                    {
                        optimizer.zero_grad();
                        var loss = nn.functional.cross_entropy(model.forward(x), y);
                        loss.backward();
                        optimizer.step();
                        losses.Add(loss.item<float>());
                    }

                    quantizer.Freeze();
                    return losses.Count == 0 ? 0 : losses.Average();
                }

                public void Distributed(nn.Module model)
                {
                    using var scope = new DeepSeekDistributed("gloo");
                    using var optimizer = new DeepSeekOptimizer(model.parameters(), commBackend: "gloo");
                    optimizer.step();
                }
            }
        }

        """);

    private static string Inference(int i) => string.Create(CultureInfo.InvariantCulture, $$"""
        namespace Generated.Part{{i}}
        {
            public sealed class Classifier{{i}} : IDisposable
            {
                private readonly App.Models.MnistMlp mlp = new();

                public int Classify(float[][] images)
                {
                    Span<float> logits = stackalloc float[10];
                    var counts = new int[10];
                    foreach (var image in images)
                    {
                        mlp.Run(image, logits, 1);
                        var best = 0;
                        for (var k = 1; k < logits.Length; k++)
                        {
                            best = logits[k] > logits[best] ? k : best;
                        }

                        counts[best]++;
                    }

                    return Array.IndexOf(counts, counts.Max());
                }

                public void Dispose() => mlp.Dispose();
            }
        }

        """);

    private const string Wrapper = """
        namespace App.Models
        {
            [System.CodeDom.Compiler.GeneratedCode("DeepSeek.Generators", "0.1.0")]
            public sealed partial class MnistMlp : System.IDisposable
            {
                public void Run([DeepSeek.Runtime.TensorShape(-1, 784)] System.ReadOnlySpan<float> input, [DeepSeek.Runtime.TensorShape(-1, 10)] System.Span<float> logits, int n) { }
                public void Dispose() { }
            }
        }
        """;
}
