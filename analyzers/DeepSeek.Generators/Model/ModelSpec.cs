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
        PostprocessSpec? Postprocess,
        TextSpec? Text = null,
        EmbedSpec? Embed = null);

    /// <summary>
    /// A tokenizer declared by the <c>Preprocess</c> metadata (<c>bert;vocab=Models/vocab.txt;max=256</c>...) for the model's
    /// int64 inputs <c>input_ids</c> and, when the model has them, <c>attention_mask</c> and <c>token_type_ids</c>.
    /// </summary>
    /// <param name="Spec">The spec as written (passed to DeepSeek.Runtime's <c>TextTokenizer.FromSpec</c> at run time).</param>
    /// <param name="MaxTokens">The most tokens a text becomes (<c>max</c>, default 512).</param>
    /// <param name="IdsInput">The input the token ids go to (<c>input_ids</c>).</param>
    /// <param name="MaskInput">The attention mask input, when the model has one.</param>
    /// <param name="TypesInput">The token type input, when the model has one.</param>
    /// <param name="Batch">The inputs' first dim (a symbol, or fixed).</param>
    /// <param name="Sequence">The inputs' second dim (a symbol, or fixed).</param>
    internal sealed record TextSpec(string Spec, int MaxTokens, string IdsInput, string? MaskInput, string? TypesInput, DimensionSpec Batch, DimensionSpec Sequence);

    /// <summary>Sentence embeddings declared by the <c>Postprocess</c> metadata: <c>meanpool</c> or <c>cls</c>, optionally <c>;l2norm</c>.</summary>
    /// <param name="Pooling"><c>meanpool</c> (under the attention mask) or <c>cls</c> (the first token).</param>
    /// <param name="Normalize">Whether each embedding is scaled to unit L2 norm.</param>
    /// <param name="HiddenOutput">The output pooled, <c>[batch, sequence, Size]</c>.</param>
    /// <param name="Size">The hidden size: the length of an embedding.</param>
    internal sealed record EmbedSpec(string Pooling, bool Normalize, string HiddenOutput, int Size);

    /// <summary>Image preprocessing declared by the <c>Preprocess</c> metadata (rgb8 → normalized NCHW) for the first input.</summary>
    internal sealed record PreprocessSpec(int Height, int Width, EquatableArray<float> Mean, EquatableArray<float> Std);

    /// <summary>Postprocessing declared by the <c>Postprocess</c> metadata: softmax, argmax, topk:K, l2norm, dequantize:scale=S,zero=Z.</summary>
    internal sealed record PostprocessSpec(string Kind, int K, float Scale = 0, int ZeroPoint = 0);

    /// <summary>A symbolic dimension and the int parameter it becomes.</summary>
    internal sealed record SymbolSpec(string Symbol, string Identifier);

    /// <summary>A session option the model needs.</summary>
    internal sealed record SessionOptionSpec(string Key, string Value);
}
