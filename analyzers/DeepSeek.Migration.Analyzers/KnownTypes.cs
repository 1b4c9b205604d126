using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;

namespace DeepSeek.Migration.Analyzers;

/// <summary>The DeepSeek.Torch and TorchSharp symbols the rules look for, resolved once per compilation.</summary>
internal sealed class KnownTypes
{
    private KnownTypes(Compilation compilation)
    {
        Int8Quantizer = compilation.GetTypeByMetadataName("DeepSeek.Torch.V1.Int8Quantizer");
        ChannelPruner = compilation.GetTypeByMetadataName("DeepSeek.Torch.V1.ChannelPruner");
        DistillationLoss = compilation.GetTypeByMetadataName("DeepSeek.Torch.V1.DistillationLoss");
        Trainer = compilation.GetTypeByMetadataName("DeepSeek.Torch.V2.Trainer");
        DistributedLauncher = compilation.GetTypeByMetadataName("DeepSeek.Torch.V2.DistributedLauncher");
        DynamicQuantizer = compilation.GetTypeByMetadataName("DeepSeek.Torch.Quantization.DynamicQuantizer");
        StructuredPruner = compilation.GetTypeByMetadataName("DeepSeek.Torch.Pruning.StructuredPruner");
        MagnitudePruner = compilation.GetTypeByMetadataName("DeepSeek.Torch.Pruning.MagnitudePruner");
        Optimizer = compilation.GetTypeByMetadataName("DeepSeek.Torch.Optim.DeepSeekOptimizer");
        Distributed = compilation.GetTypeByMetadataName("DeepSeek.Torch.Distributed.DeepSeekDistributed");
        TorchOptim = compilation.GetTypeByMetadataName("TorchSharp.torch+optim");
        // Its DeepSeekApiVersion metadata; a project reference seen before its build (an IDE or dotnet format workspace) may not
        // carry it yet, so then the types decide: DeepSeekOptimizer arrived with 3.x, DynamicQuantizer with 2.x.
        ApiMajor = ReadApiMajor(DynamicQuantizer?.ContainingAssembly) ?? (Optimizer is not null ? 3 : DynamicQuantizer is not null ? 2 : 0);
    }

    public INamedTypeSymbol? Int8Quantizer { get; }

    public INamedTypeSymbol? ChannelPruner { get; }

    public INamedTypeSymbol? DistillationLoss { get; }

    public INamedTypeSymbol? Trainer { get; }

    public INamedTypeSymbol? DistributedLauncher { get; }

    public INamedTypeSymbol? DynamicQuantizer { get; }

    public INamedTypeSymbol? StructuredPruner { get; }

    public INamedTypeSymbol? MagnitudePruner { get; }

    public INamedTypeSymbol? Optimizer { get; }

    public INamedTypeSymbol? Distributed { get; }

    public INamedTypeSymbol? TorchOptim { get; }

    /// <summary>The API version of the referenced DeepSeek.Torch (its <c>DeepSeekApiVersion</c> assembly metadata, else what its types show).</summary>
    public int ApiMajor { get; }

    /// <summary>The types, or null when the compilation does not reference DeepSeek.Torch.</summary>
    public static KnownTypes? For(Compilation compilation)
    {
        var types = new KnownTypes(compilation);
        return types.DynamicQuantizer is null ? null : types;
    }

    /// <summary>True for the types whose constructors take a module that DeepSeek then prunes or quantizes.</summary>
    public bool IsCompressor(ITypeSymbol? type) =>
        type is not null && (Is(type, Int8Quantizer) || Is(type, ChannelPruner) || Is(type, DynamicQuantizer) || Is(type, StructuredPruner) || Is(type, MagnitudePruner));

    public static bool Is(ITypeSymbol? type, INamedTypeSymbol? known) => known is not null && SymbolEqualityComparer.Default.Equals(type?.OriginalDefinition, known);

    private static int? ReadApiMajor(IAssemblySymbol? assembly)
    {
        var value = assembly?.GetAttributes()
            .Where(a => a.AttributeClass?.ToDisplayString() == "System.Reflection.AssemblyMetadataAttribute" && a.ConstructorArguments.Length == 2)
            .Where(a => a.ConstructorArguments[0].Value as string == "DeepSeekApiVersion")
            .Select(a => a.ConstructorArguments[1].Value as string)
            .FirstOrDefault();
        return ApiVersion.Major(value);
    }
}

/// <summary>The API version the project targets: <c>DeepSeekApiVersion</c> (compiler-visible), else the referenced DeepSeek.Torch's.</summary>
internal static class ApiVersion
{
    public static int Of(AnalyzerOptions options, KnownTypes types)
    {
        options.AnalyzerConfigOptionsProvider.GlobalOptions.TryGetValue("build_property.DeepSeekApiVersion", out var configured);
        return Major(configured) ?? types.ApiMajor;
    }

    public static int? Major(string? version)
    {
        if (string.IsNullOrWhiteSpace(version))
        {
            return null;
        }

        var text = version!.Trim().TrimStart('v', 'V');
        var end = text.IndexOf('.');
        return int.TryParse(end < 0 ? text : text.Substring(0, end), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var major) ? major : null;
    }
}
