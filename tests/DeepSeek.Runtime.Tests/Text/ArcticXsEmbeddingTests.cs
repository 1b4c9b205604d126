using DeepSeek.Runtime.Text;
using DeepSeek.Testing;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using Xunit.Abstractions;

namespace DeepSeek.Runtime.Tests.Text;

/// <summary>
/// The embedding path end to end on the real model: <see cref="TextTokenizer"/> → arctic-embed-xs in ONNX Runtime →
/// <see cref="Pooling.MeanPool"/> → <see cref="Pooling.L2Normalize"/>, as a generated <c>Embed</c> runs it.
/// </summary>
public sealed class ArcticXsEmbeddingTests(ITestOutputHelper output) : IDisposable
{
    private const int Max = 32;
    private const int Size = ArcticXs.HiddenSize;

    private static readonly string[] Texts =
    [
        "A man is playing a guitar.",
        "Someone is strumming a guitar.",
        "The stock market fell sharply today.",
        "A cat is sleeping on the sofa.",
        "A kitten naps on the couch.",
    ];

    private readonly TempDirectory _app = new();

    public void Dispose() => _app.Dispose();

    [Fact]
    public void Paraphrases_are_closer_than_unrelated_sentences()
    {
        var tokenizer = Tokenizer();
        using var session = new InferenceSession(TestAssets.ArcticXs.Model);
        var embeddings = new float[Texts.Length * Size];
        for (var i = 0; i < Texts.Length; i++)
        {
            Embed(session, tokenizer, Texts[i], embeddings.AsSpan(i * Size, Size), padded: false);
        }

        var cosines = new float[Texts.Length, Texts.Length];
        for (var i = 0; i < Texts.Length; i++)
        {
            for (var j = 0; j < Texts.Length; j++)
            {
                cosines[i, j] = Dot(embeddings.AsSpan(i * Size, Size), embeddings.AsSpan(j * Size, Size));
            }

            output.WriteLine($"{Texts[i],-40} {string.Join("  ", Enumerable.Range(0, Texts.Length).Select(j => cosines[i, j].ToString("F4")))}");
            Assert.Equal(1f, cosines[i, i], 1e-5f);
        }

        // guitar paraphrase vs guitar/stock; cat paraphrase vs cat/stock and cat/guitar.
        Assert.True(cosines[0, 1] > cosines[0, 2], $"guitar pair {cosines[0, 1]} vs guitar/stock {cosines[0, 2]}");
        Assert.True(cosines[3, 4] > cosines[3, 2], $"cat pair {cosines[3, 4]} vs cat/stock {cosines[3, 2]}");
        Assert.True(cosines[3, 4] > cosines[3, 0], $"cat pair {cosines[3, 4]} vs cat/guitar {cosines[3, 0]}");
        Assert.True(cosines[0, 1] > cosines[1, 4], $"guitar pair {cosines[0, 1]} vs guitar/kitten {cosines[1, 4]}");
    }

    /// <summary>
    /// The mask does its job: a text run at its own length, padded to <see cref="Max"/>, and in a padded batch of all five
    /// gives the same embedding.
    /// </summary>
    [Fact]
    public void Padding_and_batching_do_not_change_the_embedding()
    {
        var tokenizer = Tokenizer();
        using var session = new InferenceSession(TestAssets.ArcticXs.Model);
        var ids = new long[Texts.Length * Max];
        var mask = new long[Texts.Length * Max];
        var types = new long[Texts.Length * Max];
        for (var i = 0; i < Texts.Length; i++)
        {
            tokenizer.Encode(Texts[i], ids.AsSpan(i * Max, Max), mask.AsSpan(i * Max, Max), types.AsSpan(i * Max, Max));
        }

        var hidden = Run(session, ids, mask, types, Texts.Length, Max);
        var batched = new float[Texts.Length * Size];
        Pooling.MeanPool(hidden, mask, Texts.Length, Max, Size, batched);
        Pooling.L2Normalize(batched, Size);

        var single = new float[Size];
        var padded = new float[Size];
        for (var i = 0; i < Texts.Length; i++)
        {
            Embed(session, tokenizer, Texts[i], single, padded: false);
            Embed(session, tokenizer, Texts[i], padded, padded: true);
            var row = batched.AsSpan(i * Size, Size);
            var worst = 0f;
            for (var d = 0; d < Size; d++)
            {
                worst = Math.Max(worst, Math.Max(Math.Abs(single[d] - padded[d]), Math.Abs(single[d] - row[d])));
            }

            output.WriteLine($"{Texts[i],-40} largest difference {worst:E2}");
            Assert.True(worst < 1e-4f, $"{Texts[i]}: padded or batched embedding differs by {worst}");
        }
    }

    private TextTokenizer Tokenizer()
    {
        var models = Path.Combine(_app.Path, "Models");
        Directory.CreateDirectory(models);
        File.Copy(TestAssets.ArcticXs.Vocabulary, Path.Combine(models, "vocab.txt"));
        return TextTokenizer.FromSpec($"bert;vocab=Models/vocab.txt;max={Max}", _app.Path);
    }

    /// <summary>Tokenize, run at the token count (or padded to <see cref="Max"/>), mean-pool, normalize.</summary>
    private static void Embed(InferenceSession session, TextTokenizer tokenizer, string text, Span<float> embedding, bool padded)
    {
        long[] ids = new long[Max], mask = new long[Max], types = new long[Max];
        var count = tokenizer.Encode(text, ids, mask, types);
        var sequence = padded ? Max : count;
        var hidden = Run(session, ids[..sequence], mask[..sequence], types[..sequence], 1, sequence);
        Pooling.MeanPool(hidden, mask.AsSpan(0, sequence), 1, sequence, Size, embedding);
        Pooling.L2Normalize(embedding, Size);
    }

    private static float[] Run(InferenceSession session, long[] ids, long[] mask, long[] types, int batch, int sequence)
    {
        int[] shape = [batch, sequence];
        var inputs = new List<NamedOnnxValue>
        {
            NamedOnnxValue.CreateFromTensor("input_ids", new DenseTensor<long>(ids, shape)),
            NamedOnnxValue.CreateFromTensor("attention_mask", new DenseTensor<long>(mask, shape)),
        };
        if (session.InputMetadata.ContainsKey("token_type_ids"))
        {
            inputs.Add(NamedOnnxValue.CreateFromTensor("token_type_ids", new DenseTensor<long>(types, shape)));
        }

        using var results = session.Run(inputs, ["last_hidden_state"]);
        var hidden = results[0].AsTensor<float>();
        Assert.Equal([batch, sequence, Size], hidden.Dimensions.ToArray());
        return hidden.ToArray();
    }

    private static float Dot(ReadOnlySpan<float> a, ReadOnlySpan<float> b) => System.Numerics.Tensors.TensorPrimitives.Dot(a, b);
}
