namespace DeepSeek.Runtime;

/// <summary>
/// The shape of the model tensor a generated wrapper's <c>Run</c> parameter carries, in elements; -1 stands for a symbolic
/// dimension. The wrapper-usage analyzer (DSW0003) reads it to catch buffers whose length cannot match.
/// </summary>
[AttributeUsage(AttributeTargets.Parameter, AllowMultiple = false, Inherited = false)]
public sealed class TensorShapeAttribute : Attribute
{
    /// <summary>Records the shape.</summary>
    public TensorShapeAttribute(params long[] dimensions) => Dimensions = dimensions ?? [];

    /// <summary>The dimensions; -1 for a symbolic one.</summary>
    public IReadOnlyList<long> Dimensions { get; }
}
