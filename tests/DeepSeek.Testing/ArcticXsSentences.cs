using DeepSeek.Engine.Data;
using Microsoft.ML.Tokenizers;

namespace DeepSeek.Testing;

/// <summary>
/// Sentences written for the tests, in four topics (cooking, programming, weather, football) so that each has near
/// neighbours, tokenized with Microsoft.ML.Tokenizers' BERT tokenizer on arctic-embed-xs's <c>vocab.txt</c> into a NumPy data
/// folder: one subfolder per sample holding <c>input_ids.npy</c>, <c>attention_mask.npy</c> and <c>token_type_ids.npy</c>.
/// A sample is a batch of two sentences padded to the longer one (padding has mask 0), so pooling must read the mask.
/// </summary>
public static class ArcticXsSentences
{
    /// <summary>The sentences used for calibration.</summary>
    public static IReadOnlyList<string> Calibration { get; } =
    [
        "Simmer the tomato sauce for twenty minutes and stir it now and then.",
        "Knead the dough until it is smooth, then let it rise for an hour.",
        "Roast the vegetables with olive oil, garlic and a pinch of salt.",
        "Whisk the eggs with sugar before folding in the flour.",
        "The compiler reports an error when a nullable reference is dereferenced.",
        "Run the unit tests before you push your branch to the repository.",
        "This method allocates a new array on every call, which the profiler shows.",
        "Dependency injection registers services when the application starts.",
        "Heavy rain and strong winds are expected along the coast tonight.",
        "Tomorrow will be sunny with a light breeze and a high of twenty degrees.",
        "A cold front brings snow to the mountains by the weekend.",
        "Fog will clear by noon, leaving a mild and dry afternoon.",
        "The striker scored twice in the second half to win the match.",
        "The goalkeeper saved a penalty in the last minute of the game.",
        "The team has won four league titles in the past six seasons.",
        "The referee showed a red card after a dangerous tackle.",
    ];

    /// <summary>Sentences never used to calibrate, on the same topics, for held-out verification.</summary>
    public static IReadOnlyList<string> HeldOut { get; } =
    [
        "Bake the bread at two hundred degrees until the crust is golden.",
        "Season the soup with pepper and fresh herbs just before serving.",
        "The garbage collector frees memory that no reference can reach.",
        "Add a breaking change to the release notes before publishing the package.",
        "Thunderstorms may bring hail to the north in the early evening.",
        "Expect clear skies and a cold night with frost in the valleys.",
        "The midfielder passed the ball forward and the winger crossed it.",
        "Both teams were level at half time after a goalless first half.",
    ];

    /// <summary>Writes <paramref name="sentences"/> into <paramref name="folder"/> (created) as samples of two sentences each; returns the folder.</summary>
    public static string Write(string folder, IReadOnlyList<string> sentences)
    {
        ArgumentNullException.ThrowIfNull(sentences);
        Directory.CreateDirectory(folder);
        var s = 0;
        foreach (var batch in Batches(sentences))
        {
            var sample = Directory.CreateDirectory(Path.Combine(folder, $"sample_{s++:D2}")).FullName;
            NpyWriter.Write(Path.Combine(sample, "input_ids.npy"), TensorValue.Create(batch.Ids, batch.Rows, batch.Length));
            NpyWriter.Write(Path.Combine(sample, "attention_mask.npy"), TensorValue.Create(batch.Mask, batch.Rows, batch.Length));
            NpyWriter.Write(Path.Combine(sample, "token_type_ids.npy"), TensorValue.Create(new long[batch.Ids.Length], batch.Rows, batch.Length));
        }

        return Path.GetFullPath(folder);
    }

    /// <summary>The samples <see cref="Write"/> writes: two sentences each, padded with id 0 (mask 0) to the longer one.</summary>
    public static IEnumerable<SentenceBatch> Batches(IReadOnlyList<string> sentences)
    {
        ArgumentNullException.ThrowIfNull(sentences);
        var tokenizer = Tokenizer();
        for (var s = 0; s * 2 < sentences.Count; s++)
        {
            var batch = sentences.Skip(s * 2).Take(2).Select(text => Ids(tokenizer, text)).ToArray();
            var length = batch.Max(ids => ids.Length);
            var ids = new long[batch.Length * length];
            var mask = new long[batch.Length * length];
            for (var r = 0; r < batch.Length; r++)
            {
                batch[r].CopyTo(ids, r * length);
                Array.Fill(mask, 1L, r * length, batch[r].Length);
            }

            yield return new SentenceBatch(ids, mask, batch.Length, length);
        }
    }

    /// <summary>The BERT tokenizer on arctic-embed-xs's vocabulary (uncased).</summary>
    public static BertTokenizer Tokenizer() => BertTokenizer.Create(ArcticXs.Instance.Vocabulary);

    /// <summary>[CLS] tokens [SEP] of one sentence.</summary>
    public static long[] Ids(BertTokenizer tokenizer, string text)
    {
        ArgumentNullException.ThrowIfNull(tokenizer);
        return [.. tokenizer.EncodeToIds(text, addSpecialTokens: true).Select(i => (long)i)];
    }
}

/// <summary>One sample of sentences: ids and mask, [rows, length] flattened.</summary>
/// <param name="Ids">Token ids, 0 where padded.</param>
/// <param name="Mask">1 for a token, 0 for padding.</param>
/// <param name="Rows">Sentences in the batch.</param>
/// <param name="Length">Tokens per row (the longest sentence's).</param>
public sealed record SentenceBatch(long[] Ids, long[] Mask, int Rows, int Length);
