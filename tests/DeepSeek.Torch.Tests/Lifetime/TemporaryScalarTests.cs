using DeepSeek.Torch.Optim;
using Mono.Cecil;
using Mono.Cecil.Cil;
using static TorchSharp.torch;

namespace DeepSeek.Torch.Tests.Lifetime;

/// <summary>
/// TorchSharp's <c>Scalar</c> owns a native <c>c10::Scalar</c> and frees it in its finalizer; its methods pass
/// <c>scalar.Handle</c> to libtorch without keeping the managed object alive. A temporary Scalar is therefore unreachable
/// during the native call, and a collection at that moment frees what libtorch is about to read: the value becomes whatever
/// the allocator wrote there (issue 11: NaN training on some machines, a "toFloat" check failure or a crash under collection
/// stress). Temporaries come from an implicit conversion in our code (<c>t.mul_(0.9)</c>) and from TorchSharp members that
/// convert a number inside (<c>t * 0.9</c>, and <c>a + b</c> or <c>t.add_(s)</c>, whose default alpha of 1 is one).
/// DeepSeek.Torch and the sample it ships hold every Scalar (<c>using var s = x.ToScalar()</c>, or HeldScalars).
/// </summary>
public sealed class TemporaryScalarTests
{
    private static readonly Lazy<HashSet<string>> TorchSharpMembersThatMakeTemporaries = new(FindTorchSharpMembersThatMakeTemporaries);

    public static TheoryData<string> Assemblies() => new()
    {
        typeof(DeepSeekOptimizer).Assembly.Location,
        typeof(TorchMnist.MnistPipeline).Assembly.Location,
    };

    [Theory]
    [MemberData(nameof(Assemblies))]
    public void No_temporary_scalar_reaches_libtorch(string assemblyPath)
    {
        using var assembly = AssemblyDefinition.ReadAssembly(assemblyPath);
        var offenders = (
            from type in assembly.MainModule.GetTypes()
            from method in type.Methods
            where method.HasBody
            from callee in Calls(method)
            where MakesTemporary(callee)
            select $"{type.FullName}::{method.Name} calls {callee.DeclaringType.Name}::{callee.Name}({string.Join(", ", callee.Parameters.Select(p => p.ParameterType.Name))})")
            .ToList();
        Assert.True(offenders.Count == 0, string.Join(Environment.NewLine, offenders));
    }

    [Fact]
    public void The_check_sees_an_implicit_conversion_an_operator_with_a_number_and_a_default_alpha()
    {
        using var assembly = AssemblyDefinition.ReadAssembly(typeof(TemporaryScalarTests).Assembly.Location);
        var method = assembly.MainModule.GetType(typeof(TemporaryScalarTests).FullName).Methods.Single(m => m.Name == nameof(Unsafe));
        Assert.Equal(["op_Implicit", "op_Multiply", "op_Addition"], Calls(method).Where(MakesTemporary).Select(c => c.Name));
        Assert.DoesNotContain(TorchSharpMembersThatMakeTemporaries.Value, m => m.Contains("::mul_(TorchSharp.Scalar)", StringComparison.Ordinal));
    }

    private static IEnumerable<MethodReference> Calls(MethodDefinition method)
        => method.Body.Instructions
            .Where(i => i.OpCode == OpCodes.Call || i.OpCode == OpCodes.Callvirt || i.OpCode == OpCodes.Newobj)
            .Select(i => (MethodReference)i.Operand);

    private static bool MakesTemporary(MethodReference callee)
        => IsImplicitConversion(callee) || TorchSharpMembersThatMakeTemporaries.Value.Contains(callee.FullName);

    private static bool IsImplicitConversion(MethodReference callee)
        => callee.DeclaringType.FullName == "TorchSharp.Scalar" && callee.Name == "op_Implicit";

    private static bool CreatesScalar(MethodReference callee)
        => IsImplicitConversion(callee) || (callee.Name == "ToScalar" && callee.ReturnType.FullName == "TorchSharp.Scalar");

    /// <summary>
    /// Every TorchSharp member that creates a Scalar in its body, directly or through another such member (read from
    /// TorchSharp's IL, so a new TorchSharp version is checked as it is). <c>ToScalar</c> itself is not one: its caller gets
    /// the Scalar and can hold it.
    /// </summary>
    private static HashSet<string> FindTorchSharpMembersThatMakeTemporaries()
    {
        using var torchSharp = AssemblyDefinition.ReadAssembly(typeof(Tensor).Assembly.Location);
        var bodies = torchSharp.MainModule.GetTypes().SelectMany(t => t.Methods).Where(m => m.HasBody && m.Name != "ToScalar")
            .ToDictionary(m => m.FullName, m => Calls(m).ToList());
        var found = new HashSet<string>();
        for (var changed = true; changed;)
        {
            changed = false;
            foreach (var (name, calls) in bodies)
            {
                if (!found.Contains(name) && calls.Any(c => CreatesScalar(c) || found.Contains(c.FullName)))
                {
                    changed = found.Add(name) || changed;
                }
            }
        }

        return found;
    }

    // What the check must catch (never run).
    private static Tensor Unsafe(Tensor t) => (t.mul_(0.9) * 2.0) + t;
}
