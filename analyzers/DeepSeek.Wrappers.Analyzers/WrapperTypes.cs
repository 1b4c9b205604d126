using System.Collections.Concurrent;
using Microsoft.CodeAnalysis;

namespace DeepSeek.Wrappers.Analyzers;

/// <summary>Recognizes the classes DeepSeek.Build's generator wrote: <c>[GeneratedCode("DeepSeek.Generators", ...)]</c>. One per compilation.</summary>
internal sealed class WrapperTypes
{
    private readonly ConcurrentDictionary<ITypeSymbol, bool> known = new(SymbolEqualityComparer.Default);
    private readonly INamedTypeSymbol? generatedCode;

    public WrapperTypes(Compilation compilation)
    {
        generatedCode = compilation.GetTypeByMetadataName("System.CodeDom.Compiler.GeneratedCodeAttribute");
        TensorShape = compilation.GetTypeByMetadataName("DeepSeek.Runtime.TensorShapeAttribute");
    }

    /// <summary>DeepSeek.Runtime's <c>[TensorShape]</c>, or null when DeepSeek.Runtime is not referenced.</summary>
    public INamedTypeSymbol? TensorShape { get; }

    /// <summary>True for a generated model wrapper.</summary>
    public bool IsWrapper(ITypeSymbol? type) => type is INamedTypeSymbol named && generatedCode is not null && known.GetOrAdd(named, t =>
    {
        foreach (var attribute in t.GetAttributes())
        {
            if (SymbolEqualityComparer.Default.Equals(attribute.AttributeClass, generatedCode)
                && attribute.ConstructorArguments.Length > 0 && attribute.ConstructorArguments[0].Value as string == "DeepSeek.Generators")
            {
                return true;
            }
        }

        return false;
    });
}
