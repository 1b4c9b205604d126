using DeepSeek.Engine.Compression;
using DeepSeek.Engine.Profiles;
using DeepSeek.Onnx.Model;
using DeepSeek.Onnx.Protobuf;
using DeepSeek.Testing;

namespace DeepSeek.Engine.Tests.Compression;

/// <summary>
/// <c>auto</c>'s parameter-count tiers (docs/recipes.md): up to 100M parameters the profile's default (on x64-avx2 "int8":
/// static for a Conv net with calibration data), over 100M int8-dynamic, over 1B int4 — each followed by fp16, then none.
/// The planner reads sizes from the declared dims, so a model of a billion parameters is a few bytes of proto here.
/// </summary>
public sealed class RecipePlannerTests
{
    /// <summary>A Conv net whose one weight declares <paramref name="parameters"/> elements (no data: the planner never reads it).</summary>
    private static OnnxModel ConvNet(long parameters)
    {
        var model = new ModelBuilder(8, 13).Input("x", 1, 3, 8, 8).Node("Conv", ["x", "w"], ["y"]).Output("y", 1, 1, 8, 8).Build();
        var weight = new TensorProto { Name = "w", DataType = (int)TensorProto.Types.DataType.Float };
        weight.Dims.Add(parameters);
        model.Graph.Initializer.Add(weight);
        return new OnnxModel(model);
    }

    [Theory]
    [InlineData(1_000_000L, new[] { Recipe.Int8Static, Recipe.Fp16, Recipe.None })]
    [InlineData(100_000_000L, new[] { Recipe.Int8Static, Recipe.Fp16, Recipe.None })]
    [InlineData(100_000_001L, new[] { Recipe.Int8Dynamic, Recipe.Fp16, Recipe.None })]
    [InlineData(1_000_000_000L, new[] { Recipe.Int8Dynamic, Recipe.Fp16, Recipe.None })]
    [InlineData(1_000_000_001L, new[] { Recipe.Int4, Recipe.Fp16, Recipe.None })]
    public void Auto_follows_the_parameter_count_tiers(long parameters, Recipe[] expected)
    {
        var model = ConvNet(parameters);
        Assert.Equal(parameters, model.Graph.Weights().Sum(w => w.Elements));

        Assert.Equal(expected, RecipePlanner.Candidates("auto", ProfileCatalog.BuiltIn.Get("x64-avx2"), model, hasCalibration: true));
    }

    [Fact]
    public void Under_100M_the_profile_decides_and_an_explicit_value_gives_one_recipe()
    {
        var small = ConvNet(1_000_000);

        // Without calibration data "int8" is dynamic; a profile whose default is fp16 starts there, and fp16 is not repeated.
        Assert.Equal([Recipe.Int8Dynamic, Recipe.Fp16, Recipe.None], RecipePlanner.Candidates("auto", ProfileCatalog.BuiltIn.Get("x64-avx2"), small, hasCalibration: false));
        var fp16Profile = ProfileCatalog.BuiltIn.All.First(p => p.DefaultRecipe == "fp16");
        Assert.Equal([Recipe.Fp16, Recipe.None], RecipePlanner.Candidates("auto", fp16Profile, small, hasCalibration: true));

        Assert.Equal([Recipe.Int4], RecipePlanner.Candidates("int4", ProfileCatalog.BuiltIn.Get("x64-avx2"), small, hasCalibration: true));
    }
}
