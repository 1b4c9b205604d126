namespace DeepSeek.Engine.Compression;

/// <summary>A recipe as data: its name and the stages it runs, in order (docs/recipes.md, "Stages").</summary>
/// <param name="Recipe">The recipe.</param>
/// <param name="Name">Its name in <c>Quantize</c> values and reports.</param>
/// <param name="Stages">Stage names, run in order by <see cref="RecipeStages"/>.</param>
public sealed record RecipeDefinition(Recipe Recipe, string Name, IReadOnlyList<string> Stages);

/// <summary>
/// Every recipe and its stages. A stage is a pass (<c>int8-dynamic</c>), a preparation (<c>opset-upgrade:13</c>: upgrade
/// to opset 13 when below, checked in ONNX Runtime) or a measurement that later stages read (<c>calibrate</c>). <c>prune</c>
/// does nothing unless the request asks for pruning (then: prune, then quantize); <c>sparse-storage</c> stores mostly-zero
/// weights compactly. Writing a new recipe is adding a line here; the compressor only runs the list.
/// </summary>
public static class RecipeBook
{
    /// <summary>The recipes.</summary>
    public static IReadOnlyList<RecipeDefinition> All { get; } =
    [
        new(Recipe.None, "none", ["constant-initializers", "prune", "sparse-storage"]),
        new(Recipe.Fp16, "fp16", ["constant-initializers", "fold-batchnorm", "prune", "fp16-weights", "sparse-storage"]),
        new(Recipe.Int8Dynamic, "int8-dynamic", ["constant-initializers", "opset-upgrade:11", "prune", "embeddings-int8", "int8-dynamic", "sparse-storage"]),
        new(Recipe.Int8Static, "int8-static", ["constant-initializers", "opset-upgrade:13", "fold-batchnorm", "gemm-to-matmul", "prune", "embeddings-int8", "calibrate", "int8-static", "sparse-storage"]),
        new(Recipe.Int4, "int4", ["constant-initializers", "gemm-to-matmul", "prune", "embeddings-int4", "measure-inputs", "int4-block", "sparse-storage"]),
    ];

    /// <summary>The definition of <paramref name="recipe"/>.</summary>
    public static RecipeDefinition Get(Recipe recipe) => All.Single(d => d.Recipe == recipe);
}
