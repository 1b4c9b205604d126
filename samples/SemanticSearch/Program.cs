using System.Diagnostics;
using System.Reflection;
using System.Numerics.Tensors;
using SemanticSearch.Models;

// Semantic search with a compressed sentence-embedding model: embed a few dozen sentences once, embed the query, rank by
// cosine similarity (the vectors are L2-normalized, so a dot product). Everything model-specific — tokenization, the
// ONNX Runtime session with the options the shipped model needs, CLS pooling, normalization — is in the wrapper
// DeepSeek.Build generated from the DeepSeekModel item.
var query = args.Length > 0 ? string.Join(' ', args) : "How do I keep my houseplants alive?";

using var model = new ArcticEmbedXs();
const int Dimension = ArcticEmbedXs.EmbeddingSize;
var corpus = Sentences.All;
var vectors = new float[corpus.Length * Dimension];
model.Embed(corpus, vectors);

// arctic-embed was trained with this instruction before queries (and none before documents): Snowflake's model card.
const string QueryPrefix = "Represent this sentence for searching relevant passages: ";
var queryVector = new float[Dimension];
model.Embed(QueryPrefix + query, queryVector);
var hits = TopHits(queryVector, vectors, 3);

// What compression changed, on these sentences: the same model uncompressed (declared with Quantize="none").
using var reference = new ArcticEmbedXsFp32();
var referenceVectors = new float[corpus.Length * Dimension];
reference.Embed(corpus, referenceVectors);
var referenceQuery = new float[Dimension];
reference.Embed(QueryPrefix + query, referenceQuery);
var cosines = Enumerable.Range(0, corpus.Length)
    .Select(i => TensorPrimitives.Dot<float>(vectors.AsSpan(i * Dimension, Dimension), referenceVectors.AsSpan(i * Dimension, Dimension)))
    .ToArray();
var sameTop = TopHits(referenceQuery, referenceVectors, 3).Select(h => h.Index).SequenceEqual(hits.Select(h => h.Index));

var original = new FileInfo(typeof(Program).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "OriginalModel").Value!).Length;
var shipped = new FileInfo(DeepSeek.Runtime.ShippedModel.Open(ArcticEmbedXs.ModelPath).Path).Length;
var compressedMs = MillisecondsPerEmbedding(model.Embed);
var referenceMs = MillisecondsPerEmbedding(reference.Embed);

Console.WriteLine($"model     arctic-embed-xs, {ArcticEmbedXs.Recipe} for {ArcticEmbedXs.Profile}");
Console.WriteLine($"size      {original / 1e6:F1} MB -> {shipped / 1e6:F1} MB ({100.0 * shipped / original:F1} %)");
Console.WriteLine($"corpus    {corpus.Length} sentences, {Dimension} dimensions");
Console.WriteLine($"query     {query}");
foreach (var (index, score) in hits)
{
    Console.WriteLine($"  {score:F3}  {corpus[index]}");
}

Console.WriteLine($"time      {compressedMs:F2} ms per embedding, uncompressed {referenceMs:F2} ms ({referenceMs / compressedMs:F2}x; one sentence per call, {Environment.ProcessorCount} cores)");
Console.WriteLine($"fidelity  cosine to the uncompressed model's embeddings: mean {cosines.Average():F4}, min {cosines.Min():F4}; same top 3: {(sameTop ? "yes" : "no")}");

// Nearest rows of `vectors` to `query` by dot product.
static (int Index, float Score)[] TopHits(float[] query, float[] vectors, int count) => Enumerable.Range(0, vectors.Length / Dimension)
    .Select(i => (Index: i, Score: TensorPrimitives.Dot<float>(query, vectors.AsSpan(i * Dimension, Dimension))))
    .OrderByDescending(h => h.Score)
    .Take(count)
    .ToArray();

// One sentence per call over the corpus, after a warm-up round, five rounds: the mean time of one call.
static double MillisecondsPerEmbedding(EmbedOne embed)
{
    var output = new float[Dimension];
    foreach (var sentence in Sentences.All)
    {
        embed(sentence, output);
    }

    const int Rounds = 5;
    var watch = Stopwatch.StartNew();
    for (var round = 0; round < Rounds; round++)
    {
        foreach (var sentence in Sentences.All)
        {
            embed(sentence, output);
        }
    }

    return watch.Elapsed.TotalMilliseconds / (Rounds * Sentences.All.Length);
}

internal delegate void EmbedOne(string text, Span<float> embedding);
