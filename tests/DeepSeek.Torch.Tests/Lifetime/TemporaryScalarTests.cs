using DeepSeek.Torch.Optim;
using Mono.Cecil;
using Mono.Cecil.Cil;

namespace DeepSeek.Torch.Tests.Lifetime;

/// <summary>
/// TorchSharp's <c>Scalar</c> owns a native <c>c10::Scalar</c> and frees it in its finalizer; its methods pass
/// <c>scalar.Handle</c> to libtorch without keeping the managed object alive. A temporary Scalar — an implicit conversion
/// (<c>t.mul_(0.9)</c>) or an operator with a number (<c>t * 0.9</c>, which converts inside TorchSharp) — is therefore
/// unreachable during the native call, and a collection at that moment frees what libtorch is about to read: the value
/// becomes whatever the allocator wrote there (issue 11: NaN training on some machines, a "toFloat" check failure or a
/// crash under collection stress). DeepSeek.Torch and the sample it ships hold every Scalar in a variable instead.
/// </summary>
public sealed class TemporaryScalarTests
{
    private static readonly HashSet<string> Operators = ["op_Addition", "op_Subtraction", "op_Multiply", "op_Division", "op_Modulus"];

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
            from instruction in method.Body.Instructions
            where instruction.OpCode == OpCodes.Call || instruction.OpCode == OpCodes.Callvirt
            let callee = (MethodReference)instruction.Operand
            where CreatesTemporaryScalar(callee)
            select $"{type.FullName}::{method.Name} calls {callee.DeclaringType.Name}::{callee.Name}({string.Join(", ", callee.Parameters.Select(p => p.ParameterType.Name))})")
            .ToList();
        Assert.True(offenders.Count == 0, string.Join(Environment.NewLine, offenders));
    }

    [Fact]
    public void The_check_sees_an_implicit_conversion_and_an_operator_with_a_number()
    {
        using var assembly = AssemblyDefinition.ReadAssembly(typeof(TemporaryScalarTests).Assembly.Location);
        var method = assembly.MainModule.GetType(typeof(TemporaryScalarTests).FullName).Methods.Single(m => m.Name == nameof(Unsafe));
        var calls = method.Body.Instructions.Where(i => i.Operand is MethodReference).Select(i => (MethodReference)i.Operand).ToList();
        Assert.Equal(2, calls.Count(CreatesTemporaryScalar));
    }

    private static bool CreatesTemporaryScalar(MethodReference callee)
    {
        var declaring = callee.DeclaringType.FullName;
        if (declaring == "TorchSharp.Scalar" && callee.Name == "op_Implicit")
        {
            return true;
        }

        return declaring == "TorchSharp.torch/Tensor"
            && Operators.Contains(callee.Name)
            && callee.Parameters.Any(p => p.ParameterType.IsPrimitive);
    }

    // What the check must catch (never run).
    private static TorchSharp.torch.Tensor Unsafe(TorchSharp.torch.Tensor t) => t.mul_(0.9) * 2.0;
}
