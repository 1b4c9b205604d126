using System.Diagnostics;
using System.Reflection;
using SemanticSearch.Models;

// Semantic search with a compressed sentence-embedding model: embed a few dozen sentences once, embed the query, rank by
// cosine similarity (the vectors are L2-normalized, so a dot product). Everything model-specific — tokenization, the
// ONNX Runtime session with the options the shipped model needs, mean pooling over the attention mask, normalization —
// is in the wrapper DeepSeek.Build generated from the DeepSeekModel item.
var query = args.Length > 0 ? string.Join(' ', args) : "How do I keep my houseplants alive?";

using var model = new ArcticEmbedXs();
var dimension = ArcticEmbedXs.EmbeddingSize;
var corpus = Sentences.All;
var vectors = new float[corpus.Length * dimension];
model.Embed(corpus, vectors);

// arctic-embed was trained with this instruction before queries (and none before documents): Snowflake's model card.
const string QueryPrefix = "Represent this sentence for searching relevant passages: ";
var queryVector = new float[dimension];
model.Embed(QueryPrefix + query, queryVector);
var hits = Enumerable.Range(0, corpus.Length)
    .Select(i => (Index: i, Score: Dot(queryVector, vectors.AsSpan(i * dimension, dimension))))
    .OrderByDescending(h => h.Score)
    .Take(3)
    .ToArray();

// Time per embedding: one sentence at a time, after the warm-up above, over the whole corpus three times.
var watch = Stopwatch.StartNew();
const int Rounds = 3;
for (var round = 0; round < Rounds; round++)
{
    foreach (var sentence in corpus)
    {
        model.Embed(sentence, queryVector);
    }
}

var perEmbedding = watch.Elapsed.TotalMilliseconds / (Rounds * corpus.Length);
var original = new FileInfo(typeof(Program).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "OriginalModel").Value!).Length;
var shipped = new FileInfo(DeepSeek.Runtime.ShippedModel.Open(ArcticEmbedXs.ModelPath).Path).Length;

Console.WriteLine($"model     arctic-embed-xs, {ArcticEmbedXs.Recipe} for {ArcticEmbedXs.Profile}");
Console.WriteLine($"size      {original / 1e6:F1} MB -> {shipped / 1e6:F1} MB ({100.0 * shipped / original:F1} %)");
Console.WriteLine($"corpus    {corpus.Length} sentences, {dimension} dimensions");
Console.WriteLine($"query     {query}");
foreach (var (index, score) in hits)
{
    Console.WriteLine($"  {score:F3}  {corpus[index]}");
}

Console.WriteLine($"time      {perEmbedding:F2} ms per embedding (one sentence per call, {Environment.ProcessorCount} cores)");

static float Dot(ReadOnlySpan<float> a, ReadOnlySpan<float> b) => System.Numerics.Tensors.TensorPrimitives.Dot(a, b);
