using System.Linq;
using Microsoft.CodeAnalysis.Operations;

namespace DeepSeek.Migration.Analyzers;

/// <summary>Reading the arguments of a call or construction by parameter name.</summary>
internal static class Arguments
{
    /// <summary>The argument bound to parameter <paramref name="name"/>, or null.</summary>
    public static IArgumentOperation? Named(this System.Collections.Immutable.ImmutableArray<IArgumentOperation> arguments, string name) =>
        arguments.FirstOrDefault(a => a.Parameter?.Name == name);

    /// <summary>The constant value given for <paramref name="name"/> (the parameter's default when omitted), or null.</summary>
    public static object? ConstantOf(this System.Collections.Immutable.ImmutableArray<IArgumentOperation> arguments, string name)
    {
        var argument = arguments.Named(name);
        if (argument is null)
        {
            return null;
        }

        var value = argument.Value.ConstantValue;
        return value.HasValue ? value.Value : null;
    }

    /// <summary>True when the argument was written in the source (not a default value).</summary>
    public static bool IsExplicit(this IArgumentOperation argument) => argument.ArgumentKind != ArgumentKind.DefaultValue;
}
