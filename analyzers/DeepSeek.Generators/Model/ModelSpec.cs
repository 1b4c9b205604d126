using System;

namespace DeepSeek.Generators.Model
{
    /// <summary>One dimension of a tensor: a fixed size, or a symbol that becomes an int parameter.</summary>
    internal sealed record DimensionSpec(long? Size, string? Symbol);

    /// <summary>A model input or output as the wrapper exposes it. Names are already C# identifiers.</summary>
    /// <param name="OnnxName">The name in the model (emitted as an escaped string literal only).</param>
    /// <param name="Identifier">The parameter name in the wrapper.</param>
    /// <param name="ElementType">The ONNX element type name (<c>float</c>, <c>int64</c>...).</param>
    /// <param name="ClrType">The C# element type (<c>float</c>, <c>long</c>...).</param>
    /// <param name="Shape">The dims; symbolic dims name a parameter of the wrapper.</param>
    internal sealed record TensorSpec(string OnnxName, string Identifier, string ElementType, string ClrType, EquatableArray<DimensionSpec> Shape);

    /// <summary>Everything the emitter needs for one model; holds no Roslyn symbol or compilation.</summary>
    internal sealed record ModelSpec(
        string Namespace,
        string ClassName,
        string ModelPath,
        string Profile,
        string Recipe,
        EquatableArray<TensorSpec> Inputs,
        EquatableArray<TensorSpec> Outputs,
        EquatableArray<SymbolSpec> Symbols,
        EquatableArray<SessionOptionSpec> SessionOptions,
        PreprocessSpec? Preprocess,
        PostprocessSpec? Postprocess);

    /// <summary>Image preprocessing declared by the <c>Preprocess</c> metadata (rgb8 → normalized NCHW) for the first input.</summary>
    internal sealed record PreprocessSpec(int Height, int Width, EquatableArray<float> Mean, EquatableArray<float> Std);

    /// <summary>Postprocessing declared by the <c>Postprocess</c> metadata: softmax, argmax, topk:K, l2norm, dequantize:scale=S,zero=Z.</summary>
    internal sealed record PostprocessSpec(string Kind, int K, float Scale = 0, int ZeroPoint = 0);

    /// <summary>A symbolic dimension and the int parameter it becomes.</summary>
    internal sealed record SymbolSpec(string Symbol, string Identifier);

    /// <summary>A session option the model needs.</summary>
    internal sealed record SessionOptionSpec(string Key, string Value);
}
