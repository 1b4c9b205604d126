using System.Runtime.InteropServices;
using DeepSeek.Onnx.IO;
using DeepSeek.Onnx.Model;
using DeepSeek.Onnx.Protobuf;

namespace DeepSeek.Testing;

/// <summary>The shape of a generated decoder-only language model.</summary>
/// <param name="Name">A short name (file names, benchmark rows).</param>
/// <param name="Vocabulary">Token count (rows of the embedding table and of the tied lm_head).</param>
/// <param name="Width">Hidden size.</param>
/// <param name="Layers">Decoder layers.</param>
/// <param name="Heads">Attention heads (Width must divide by it).</param>
/// <param name="Ffn">Hidden size of the gated feed-forward block.</param>
/// <param name="MaxSequence">The longest sequence the causal mask covers.</param>
public sealed record DecoderShape(string Name, int Vocabulary, int Width, int Layers, int Heads, int Ffn, int MaxSequence = 64)
{
    /// <summary>A few hundred thousand parameters: what CI compresses.</summary>
    public static DecoderShape Tiny { get; } = new("tiny", 1000, 64, 2, 4, 128);

    /// <summary>About 0.1B parameters (vocabulary 32000, width 768, 10 layers).</summary>
    public static DecoderShape Small { get; } = new("0.1B", 32000, 768, 10, 12, 2048);

    /// <summary>About 1.2B parameters (TinyLlama's shape: vocabulary 32000, width 2048, 22 layers, FFN 5632).</summary>
    public static DecoderShape Medium { get; } = new("1.2B", 32000, 2048, 22, 32, 5632);

    /// <summary>About 6.6B parameters (Llama-7B's shape: width 4096, 32 layers, FFN 11008): 27 GB in fp32.</summary>
    public static DecoderShape Large { get; } = new("7B", 32000, 4096, 32, 32, 11008);

    /// <summary>The parameter count.</summary>
    public long Parameters => ((long)Vocabulary * Width) + (Layers * ((4L * Width * Width) + (3L * Width * Ffn) + (4L * Width))) + (2L * Width);
}

/// <summary>
/// Decoder-only language models generated for the tests and benchmarks, stored with external data as large models are:
/// token embeddings → per layer LayerNormalization, causal multi-head attention and a gated (SiLU) feed-forward block, each
/// added to the residual stream → a final LayerNormalization → an lm_head tied to the embeddings
/// (<c>MatMul(x, Transpose(table))</c>). The layers move the residual stream away from the input token's embedding (their
/// weights are about 1.5/√width), and the wide tied table still gives each position a clear next-token choice: next-token
/// agreement and the KL divergence of the logits measure fidelity.
/// Input <c>input_ids</c> int64 [batch, sequence]; output <c>logits</c> [batch, sequence, vocabulary].
/// </summary>
public static class DecoderModels
{
    /// <summary>Writes <paramref name="shape"/>'s model as <c>&lt;name&gt;.onnx</c> + <c>.onnx.data</c> in <paramref name="folder"/>
    /// unless it is there already; returns the model's path. Each weight is generated and written to the data file in turn, so
    /// a model larger than memory (the 7B shape: 27 GB) is written with one tensor in memory at a time; the model file comes last.</summary>
    public static string Write(DecoderShape shape, string folder, int seed = 7)
    {
        ArgumentNullException.ThrowIfNull(shape);
        var path = Path.Combine(folder, $"decoder-{shape.Name}.onnx");
        if (File.Exists(path) && File.Exists(path + ".data"))
        {
            return path;
        }

        Directory.CreateDirectory(folder);
        File.Delete(path + ".data"); // a generation cut short
        using (var data = new ExternalDataFile(path + ".data"))
        {
            var built = new OnnxModel(Build(shape, seed, data), path, folder) { OutputData = data };
            built.Save(path, new ModelWriteOptions { ExternalData = ExternalDataMode.SeparateFile, ExternalDataFileName = data.Name });
        }

        return path;
    }

    /// <summary>The model; its large weights go to <paramref name="data"/> as they are made.</summary>
    private static ModelProto Build(DecoderShape shape, int seed, ExternalDataFile data)
    {
        int d = shape.Width, h = shape.Heads, dh = shape.Width / shape.Heads;
        var b = new ModelBuilder(8, 17, "DeepSeek.Testing decoder").Input("input_ids", "batch", "sequence");
        b.Graph.Input[0].Type.TensorType.ElemType = (int)TensorProto.Types.DataType.Int64;
        var seeds = seed;
        ModelBuilder Weight(string name, long rows, long columns, float scale)
        {
            var values = ModelBuilder.Random(checked((int)(rows * columns)), seeds++, scale);
            var tensor = new TensorProto { Name = name, DataType = (int)TensorProto.Types.DataType.Float };
            tensor.Dims.Add(rows);
            tensor.Dims.Add(columns);
            data.Append(tensor, MemoryMarshal.AsBytes(values.AsSpan()));
            b.Graph.Initializer.Add(tensor);
            return b;
        }

        Weight("embed", shape.Vocabulary, d, 1f)
            .Node("Gather", ["embed", "input_ids"], ["x_0"]);

        // The causal mask: 0 on and below the diagonal, -10000 above, cut to [sequence, sequence].
        var mask = new float[shape.MaxSequence * shape.MaxSequence];
        for (var row = 0; row < shape.MaxSequence; row++)
        {
            for (var column = row + 1; column < shape.MaxSequence; column++)
            {
                mask[(row * shape.MaxSequence) + column] = -10000f;
            }
        }

        b.Initializer("causal_mask", mask, shape.MaxSequence, shape.MaxSequence);
        Int64(b, "one", [1]);
        Int64(b, "zeros", [0, 0]);
        Int64(b, "axes_01", [0, 1]);
        Int64(b, "heads_shape", [0, 0, h, dh]);
        Int64(b, "merged_shape", [0, 0, d]);
        b.Initializer("scale", [1f / MathF.Sqrt(dh)]);
        b.Node("Shape", ["input_ids"], ["ids_shape"])
            .Node("Gather", ["ids_shape", "one"], ["sequence"])
            .Node("Concat", ["sequence", "sequence"], ["mask_end"], "", Int("axis", 0))
            .Node("Slice", ["causal_mask", "zeros", "mask_end", "axes_01"], ["mask"]);

        var x = "x_0";
        var small = 1.5f / MathF.Sqrt(d);
        for (var l = 0; l < shape.Layers; l++)
        {
            string P(string n) => $"layer{l}_{n}";
            Norm(b, P("norm1"), x, d);
            foreach (var w in new[] { "q", "k", "v" })
            {
                Weight(P("w" + w), d, d, small)
                    .Node("MatMul", [P("norm1"), P("w" + w)], [P(w)])
                    .Node("Reshape", [P(w), "heads_shape"], [P(w + "_heads")])
                    .Node("Transpose", [P(w + "_heads")], [P(w + "_t")], "", Ints("perm", w == "k" ? new long[] { 0, 2, 3, 1 } : new long[] { 0, 2, 1, 3 }));
            }

            b.Node("MatMul", [P("q_t"), P("k_t")], [P("scores")])
                .Node("Mul", [P("scores"), "scale"], [P("scaled")])
                .Node("Add", [P("scaled"), "mask"], [P("masked")])
                .Node("Softmax", [P("masked")], [P("probs")], "", Int("axis", -1))
                .Node("MatMul", [P("probs"), P("v_t")], [P("context")])
                .Node("Transpose", [P("context")], [P("context_t")], "", Ints("perm", 0, 2, 1, 3))
                .Node("Reshape", [P("context_t"), "merged_shape"], [P("merged")]);
            Weight(P("wo"), d, d, small)
                .Node("MatMul", [P("merged"), P("wo")], [P("attention")])
                .Node("Add", [x, P("attention")], [P("x_mid")]);
            Norm(b, P("norm2"), P("x_mid"), d);
            Weight(P("w_gate"), d, shape.Ffn, small);
            Weight(P("w_up"), d, shape.Ffn, small);
            Weight(P("w_down"), shape.Ffn, d, 1.5f / MathF.Sqrt(shape.Ffn))
                .Node("MatMul", [P("norm2"), P("w_gate")], [P("gate")])
                .Node("Sigmoid", [P("gate")], [P("gate_sigmoid")])
                .Node("Mul", [P("gate"), P("gate_sigmoid")], [P("silu")])
                .Node("MatMul", [P("norm2"), P("w_up")], [P("up")])
                .Node("Mul", [P("silu"), P("up")], [P("gated")])
                .Node("MatMul", [P("gated"), P("w_down")], [P("ffn")])
                .Node("Add", [P("x_mid"), P("ffn")], [P("x_out")]);
            x = P("x_out");
        }

        Norm(b, "final_norm", x, d);
        return b.Node("Transpose", ["embed"], ["lm_head"], "", Ints("perm", 1, 0))
            .Node("MatMul", ["final_norm", "lm_head"], ["logits"])
            .Output("logits", "batch", "sequence", shape.Vocabulary)
            .Build();
    }

    private static void Norm(ModelBuilder b, string output, string input, int width)
        => b.Initializer(output + "_gamma", Enumerable.Repeat(1f, width).ToArray(), width)
            .Initializer(output + "_beta", new float[width], width)
            .Node("LayerNormalization", [input, output + "_gamma", output + "_beta"], [output], "", Int("axis", -1));

    private static void Int64(ModelBuilder b, string name, long[] values)
    {
        var tensor = new TensorProto { Name = name, DataType = (int)TensorProto.Types.DataType.Int64 };
        tensor.Dims.Add(values.Length);
        tensor.Int64Data.AddRange(values);
        b.Graph.Initializer.Add(tensor);
    }

    private static AttributeProto Int(string name, long value) => new() { Name = name, Type = AttributeProto.Types.AttributeType.Int, I = value };

    private static AttributeProto Ints(string name, params long[] values)
    {
        var attribute = new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Ints };
        attribute.Ints.AddRange(values);
        return attribute;
    }
}
