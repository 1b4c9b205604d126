using DeepSeek.Engine.Operators;
using DeepSeek.Engine.Profiles;
using DeepSeek.Onnx.Diagnostics;
using DeepSeek.Onnx.Model;

namespace DeepSeek.Engine.Compression;

/// <summary>The recipes a <c>Quantize</c> value can name.</summary>
public enum Recipe
{
    /// <summary>No compression: the model is checked and copied.</summary>
    None,
    /// <summary>INT8 weights, activations quantized at run time (MatMul/Gemm).</summary>
    Int8Dynamic,
    /// <summary>INT8 weights and activations, calibrated, QDQ form.</summary>
    Int8Static,
    /// <summary>FP16 weights, fp32 compute.</summary>
    Fp16,
    /// <summary>INT4 block-wise MatMul weights (com.microsoft.MatMulNBits).</summary>
    Int4,
}

/// <summary>Turns a <c>Quantize</c> value, a profile and a model into a recipe (the documented table of docs/recipes.md).</summary>
public static class RecipePlanner
{
    /// <summary>The accepted <c>Quantize</c> values.</summary>
    public static IReadOnlyList<string> Values { get; } = ["none", "int8", "int8-dynamic", "int8-static", "int4", "fp16", "mixed", "auto"];

    /// <summary>Chooses the recipe.</summary>
    /// <exception cref="DeepSeekException">DSB0065 for an unknown or unavailable value, DSB0064 when static INT8 has no calibration data.</exception>
    public static Recipe Plan(string quantize, HardwareProfile profile, OnnxModel model, bool hasCalibration)
    {
        ArgumentNullException.ThrowIfNull(quantize);
        ArgumentNullException.ThrowIfNull(profile);
        ArgumentNullException.ThrowIfNull(model);
        var value = quantize.Trim().ToLowerInvariant();
        if (value == "auto")
        {
            value = profile.DefaultRecipe;
        }

        var convolutional = OperatorRegistry.HasConvolution(model.Proto.Graph);
        return value switch
        {
            "none" => Recipe.None,
            "fp16" => Recipe.Fp16,
            "int8-dynamic" => Recipe.Int8Dynamic,
            "int8-static" when hasCalibration => Recipe.Int8Static,
            "int8-static" => throw new DeepSeekException(DiagnosticIds.CalibrationRequired, model.DisplayPath, "static INT8 was asked for without calibration data"),
            "int8" => convolutional && hasCalibration ? Recipe.Int8Static : Recipe.Int8Dynamic,
            "int4" => Recipe.Int4,
            "mixed" => throw new DeepSeekException(DiagnosticIds.InvalidOption, "--quantize",
                $"'{value}' is not available in this version yet", "use int8, int8-dynamic, int8-static, int4, fp16 or none"),
            _ => throw new DeepSeekException(DiagnosticIds.InvalidOption, "--quantize", $"{Names.Quote(quantize)} is not a quantization",
                $"use one of: {string.Join(", ", Values)}"),
        };
    }

    /// <summary>
    /// The recipes to try, in order. An explicit value gives one. <c>auto</c> follows the decision table of docs/recipes.md by
    /// parameter count — under 100M: the profile's default (INT8: static for conv nets with calibration data, else dynamic);
    /// 100M–1B: INT8 dynamic; over 1B: INT4 block-wise — then FP16, then none: the first whose budget holds (and that is not
    /// slower than the original when this machine is the target) is shipped.
    /// </summary>
    public static IReadOnlyList<Recipe> Candidates(string quantize, HardwareProfile profile, OnnxModel model, bool hasCalibration)
    {
        ArgumentNullException.ThrowIfNull(quantize);
        if (!string.Equals(quantize.Trim(), "auto", StringComparison.OrdinalIgnoreCase))
        {
            return [Plan(quantize, profile, model, hasCalibration)];
        }

        var parameters = model.Graph.Weights().Sum(w => w.Elements);
        var first = parameters switch
        {
            > 1_000_000_000 => Recipe.Int4,
            > 100_000_000 => Recipe.Int8Dynamic,
            _ => Plan(profile.DefaultRecipe, profile, model, hasCalibration),
        };
        return new[] { first, Recipe.Fp16, Recipe.None }.Distinct().ToArray();
    }

    /// <summary>The recipe's name in reports.</summary>
    public static string Name(Recipe recipe) => recipe switch
    {
        Recipe.None => "none",
        Recipe.Int8Dynamic => "int8-dynamic",
        Recipe.Int8Static => "int8-static",
        Recipe.Fp16 => "fp16",
        Recipe.Int4 => "int4",
        _ => recipe.ToString(),
    };
}
