using DeepSeek.Generators.Tests.Models;
using DeepSeek.Testing;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.Tokenizers;
using Xunit.Abstractions;

namespace DeepSeek.Generators.Tests;

/// <summary>
/// The wrapper generated for arctic-embed-xs with <c>Preprocess="bert;vocab=arctic-xs/vocab.txt;max=128"</c> and
/// <c>Postprocess="meanpool;l2norm"</c> (this project's ArcticXsEmbedder), against a reference written by hand: Microsoft.ML.Tokenizers'
/// BertTokenizer, a plain ONNX Runtime session on the unpadded ids, the mean of the token vectors and an L2 norm.
/// </summary>
public sealed class EmbedTests(ITestOutputHelper log)
{
    private static readonly Lazy<string> Vocabulary = new(() =>
    {
        // The spec's path is relative to the app folder: put the extracted vocabulary where the build would have copied it.
        var target = Path.Combine(AppContext.BaseDirectory, "arctic-xs", "vocab.txt");
        Directory.CreateDirectory(Path.GetDirectoryName(target)!);
        File.Copy(TestAssets.ArcticXs.Vocabulary, target, overwrite: true);
        return target;
    });

    private static readonly string[] Sentences =
    [
        "The quick brown fox jumps over the lazy dog.",
        "A fast auburn fox leaped over a sleepy hound.",
        "ONNX Runtime runs the compressed model on the CPU.",
        "How do I reset my password?",
        "Où est la gare ? Café, naïve, résumé.",
        "",
        string.Join(" ", Enumerable.Repeat("Embeddings longer than the limit are cut to 128 tokens, special tokens included.", 12)),
    ];

    private static ArcticXsEmbedder Create()
    {
        _ = Vocabulary.Value;
        return new ArcticXsEmbedder(File.ReadAllBytes(TestAssets.ArcticXs.Model));
    }

    private static float[] Reference(InferenceSession session, BertTokenizer tokenizer, string text)
    {
        var content = tokenizer.EncodeToIds(text, addSpecialTokens: false).Take(128 - 2);
        var ids = content.Prepend(tokenizer.ClassificationTokenId).Append(tokenizer.SeparatorTokenId).Select(i => (long)i).ToArray();
        long[] shape = [1, ids.Length];
        using var idsValue = OrtValue.CreateTensorValueFromMemory(ids, shape);
        using var maskValue = OrtValue.CreateTensorValueFromMemory(Enumerable.Repeat(1L, ids.Length).ToArray(), shape);
        using var typesValue = OrtValue.CreateTensorValueFromMemory(new long[ids.Length], shape);
        using var runOptions = new RunOptions();
        using var results = session.Run(runOptions, ["input_ids", "attention_mask", "token_type_ids"], [idsValue, maskValue, typesValue], ["last_hidden_state"]);
        var hidden = results[0].GetTensorDataAsSpan<float>();
        var mean = new double[384];
        for (var t = 0; t < ids.Length; t++)
        {
            for (var d = 0; d < 384; d++)
            {
                mean[d] += hidden[(t * 384) + d];
            }
        }

        var norm = Math.Sqrt(mean.Sum(v => v * v));
        return mean.Select(v => (float)(v / norm)).ToArray();
    }

    private static double Cosine(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        double dot = 0, na = 0, nb = 0;
        for (var i = 0; i < a.Length; i++)
        {
            dot += a[i] * (double)b[i];
            na += a[i] * (double)a[i];
            nb += b[i] * (double)b[i];
        }

        return dot / Math.Sqrt(na * nb);
    }

    [Fact]
    public void Embed_matches_a_hand_written_BertTokenizer_ONNX_Runtime_mean_pool_reference()
    {
        using var embedder = Create();
        using var session = new InferenceSession(TestAssets.ArcticXs.Model);
        var tokenizer = BertTokenizer.Create(TestAssets.ArcticXs.Vocabulary);
        var batch = new float[Sentences.Length * ArcticXsEmbedder.EmbeddingSize];
        embedder.Embed(Sentences, batch);

        var single = new float[ArcticXsEmbedder.EmbeddingSize];
        for (var i = 0; i < Sentences.Length; i++)
        {
            var reference = Reference(session, tokenizer, Sentences[i]);
            embedder.Embed(Sentences[i], single);
            var alone = Cosine(reference, single);
            var inBatch = Cosine(reference, batch.AsSpan(i * 384, 384));
            log.WriteLine($"{Sentences[i][..Math.Min(40, Sentences[i].Length)],-40}  cosine alone {alone:F7} (1 - cos {1 - alone:E1}), in the batch {inBatch:F7} (1 - cos {1 - inBatch:E1})");
            Assert.True(alone >= 0.9999, $"sentence {i}: cosine {alone}");
            Assert.True(inBatch >= 0.9999, $"sentence {i} in the batch: cosine {inBatch}");
        }

        // paraphrases are closer than unrelated sentences (unit vectors: the dot product is the cosine)
        Assert.True(Cosine(batch.AsSpan(0, 384), batch.AsSpan(384, 384)) > Cosine(batch.AsSpan(0, 384), batch.AsSpan(3 * 384, 384)));
    }

    [Fact]
    public void Tokenize_fills_the_three_inputs_as_BertTokenizer_does()
    {
        using var embedder = Create();
        var ids = new long[ArcticXsEmbedder.MaxTokens];
        var mask = new long[ArcticXsEmbedder.MaxTokens];
        var types = new long[ArcticXsEmbedder.MaxTokens];

        var count = embedder.Tokenize("The quick brown fox.", ids, mask, types);

        var expected = BertTokenizer.Create(TestAssets.ArcticXs.Vocabulary).EncodeToIds("The quick brown fox.").Select(i => (long)i).ToArray();
        Assert.Equal(expected, ids[..count]);
        Assert.All(mask[..count], m => Assert.Equal(1, m));
        Assert.All(mask[count..], m => Assert.Equal(0, m));
        Assert.All(types, t => Assert.Equal(0, t));
    }

    [Fact]
    public void After_warm_up_Embed_allocates_only_what_the_tokenizer_does()
    {
        using var embedder = Create();
        var embedding = new float[ArcticXsEmbedder.EmbeddingSize];
        var embeddings = new float[4 * ArcticXsEmbedder.EmbeddingSize];
        string[] four = [Sentences[0], Sentences[1], Sentences[2], Sentences[3]];
        embedder.Embed(Sentences[0], embedding);
        embedder.Embed(four, embeddings);
        var ids = new long[ArcticXsEmbedder.MaxTokens];
        var mask = new long[ArcticXsEmbedder.MaxTokens];
        var types = new long[ArcticXsEmbedder.MaxTokens];
        embedder.Tokenize(Sentences[0], ids, mask, types);

        const int Calls = 20;
        var tokenizer = Measure(() => embedder.Tokenize(Sentences[0], ids, mask, types));
        var single = Measure(() => embedder.Embed(Sentences[0], embedding));
        var batch = Measure(() => embedder.Embed(four, embeddings));
        var tokenizerOfFour = Measure(() =>
        {
            foreach (var text in four)
            {
                embedder.Tokenize(text, ids, mask, types);
            }
        });
        log.WriteLine($"bytes per call after warm-up: Embed(text) {single}, its tokenization alone {tokenizer}; Embed(4 texts) {batch}, their tokenization alone {tokenizerOfFour}");
        Assert.Equal(tokenizer, single);
        Assert.Equal(tokenizerOfFour, batch);

        long Measure(Action action)
        {
            // Warm-up of the measured call itself: a one-time allocation on an early call (seen once in CI: 7.6 KB over 20
            // calls right after a single warm-up call) is not a per-call cost.
            for (var i = 0; i < Calls; i++)
            {
                action();
            }

            // The least of 5 rounds: a one-off allocation inside a round (seen again under the parallel load of the whole suite:
            // 7.1 KB in one round of 20 calls) is not what a call costs in steady state; a per-call allocation is in every round.
            var least = long.MaxValue;
            for (var round = 0; round < 5; round++)
            {
                var before = GC.GetAllocatedBytesForCurrentThread();
                for (var i = 0; i < Calls; i++)
                {
                    action();
                }

                least = Math.Min(least, (GC.GetAllocatedBytesForCurrentThread() - before) / Calls);
            }

            return least;
        }
    }

    [Fact]
    public void Time_per_embedding_alone_and_in_batches_is_logged()
    {
        using var embedder = Create();
        var texts = Enumerable.Range(0, 64).Select(i => Sentences[i % 5] + " " + i.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToArray();
        var embeddings = new float[texts.Length * ArcticXsEmbedder.EmbeddingSize];
        embedder.Embed(texts, embeddings);
        foreach (var text in texts)
        {
            embedder.Embed(text, embeddings.AsSpan(0, ArcticXsEmbedder.EmbeddingSize));
        }

        var timer = System.Diagnostics.Stopwatch.StartNew();
        embedder.Embed(texts, embeddings);
        var batched = timer.Elapsed.TotalMilliseconds / texts.Length;
        timer.Restart();
        foreach (var text in texts)
        {
            embedder.Embed(text, embeddings.AsSpan(0, ArcticXsEmbedder.EmbeddingSize));
        }

        var alone = timer.Elapsed.TotalMilliseconds / texts.Length;
        log.WriteLine($"arctic-embed-xs, fp32, {Environment.ProcessorCount} cores: {alone:F2} ms per embedding one at a time, {batched:F2} ms in batches of 32 ({texts.Length} short sentences)");
        Assert.True(alone > 0 && batched > 0);
    }
}
