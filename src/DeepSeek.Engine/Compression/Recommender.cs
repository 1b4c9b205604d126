using System.Globalization;
using DeepSeek.Engine.Data;
using DeepSeek.Engine.Profiles;
using DeepSeek.Engine.Verification;
using DeepSeek.Onnx.Diagnostics;
using DeepSeek.Onnx.IO;

namespace DeepSeek.Engine.Compression;

/// <summary>One candidate recipe as <c>deepseek recommend</c> measured it.</summary>
/// <param name="Recipe">The <c>Quantize</c> value.</param>
/// <param name="Report">The compression's report (verified, budget not enforced), or null when the recipe failed.</param>
/// <param name="Checks">The budget's checks on the report's evaluation (empty when the recipe failed).</param>
/// <param name="Speedup">Original latency over compressed latency (median of 7 single-thread runs), when this machine is the profile's; else null.</param>
/// <param name="Failure">Why the recipe produced no model (a diagnostic), or null.</param>
public sealed record RecipeCandidate(string Recipe, CompressionReport? Report, IReadOnlyList<BudgetCheck> Checks, double? Speedup, string? Failure)
{
    /// <summary>Whether the recipe produced a model that keeps every check of the budget.</summary>
    public bool Kept => Report is not null && Checks.All(c => c.Met);

    /// <summary>Whether it runs more than 5% slower than the original here (as <c>auto</c> refuses, DSB0067); false when not measured.</summary>
    public bool Slower => Speedup is { } s && s < 1 / 1.05;
}

/// <summary>What <c>deepseek recommend</c> measured, and what it recommends.</summary>
/// <param name="Input">The model as given.</param>
/// <param name="InputBytes">Its size.</param>
/// <param name="Profile">The hardware profile.</param>
/// <param name="Budget">The budget each candidate was held to.</param>
/// <param name="CalibrationFolder">The data folder, or null (random inputs).</param>
/// <param name="Candidates">Every candidate, in the order tried.</param>
public sealed record Recommendation(string Input, long InputBytes, string Profile, AccuracyBudget Budget, string? CalibrationFolder, IReadOnlyList<RecipeCandidate> Candidates)
{
    /// <summary>The recommended <c>Quantize</c> value (<see cref="Recommender.Choose"/>).</summary>
    public string Chosen => Recommender.Choose(Candidates);

    /// <summary>Whether any candidate was timed (only when this machine is the profile's).</summary>
    public bool SpeedMeasured => Candidates.Any(c => c.Speedup is not null);

    /// <summary>The <c>DeepSeekModel</c> item that ships the recommendation.</summary>
    public string ItemLine => string.Create(CultureInfo.InvariantCulture,
        $"<DeepSeekModel Include=\"{Input}\" Quantize=\"{Chosen}\"{(CalibrationFolder is { } folder ? $" Calibration=\"{folder}\"" : "")}{(Budget.IsDefault ? "" : $" AccuracyBudget=\"{Budget.Points}%\"")} />");
}

/// <summary>
/// <c>deepseek recommend</c>: the decision table made measurable. Every candidate recipe for the profile (fp16, int8-dynamic,
/// int8-static when calibration data is given, int4) is compressed and verified on the same evidence with the budget measured
/// but not enforced, timed against the original when this machine is the profile's, and the smallest model that keeps the
/// budget and is not more than 5% slower than the original is recommended (the fastest among equal sizes); <c>none</c> when
/// no recipe qualifies.
/// </summary>
public static class Recommender
{
    /// <summary>Failures that belong to one recipe (its row says so); any other, such as bad data, stops the recommendation.</summary>
    private static readonly string[] RecipeFailures =
    [
        DiagnosticIds.OperatorNotUpgradable.Id, DiagnosticIds.NoKernel.Id, DiagnosticIds.RuntimeFailed.Id, DiagnosticIds.SizeBudgetExceeded.Id,
        DiagnosticIds.NotSmaller.Id, DiagnosticIds.StaticNotFaster.Id,
    ];

    /// <summary>Measures every candidate; <paramref name="template"/> gives the model, profile, data, budget and kinds (its output is ignored).</summary>
    public static Recommendation Measure(CompressionRequest template, IProgress<string>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(template);
        var budget = template.Budget ?? AccuracyBudget.Default;
        var recipes = new List<string> { "fp16", "int8-dynamic" };
        if (template.CalibrationFolder is not null)
        {
            recipes.Add("int8-static");
        }

        recipes.Add("int4");
        var source = ModelReader.Read(template.Input);
        var sample = template.CalibrationFolder is { } folder
            ? DataSet.Load(folder, source.Graph.Inputs).Samples[0].Inputs
            : RandomInputs.Create(source, 1, seed: 1, template.Dims)[0];
        var measureSpeed = ProfileCatalog.BuiltIn.ForHost().Name == template.Profile.Name;
        var folderForOutputs = Directory.CreateTempSubdirectory("deepseek-recommend-");
        try
        {
            var candidates = new List<RecipeCandidate>();
            foreach (var recipe in recipes)
            {
                cancellationToken.ThrowIfCancellationRequested();
                progress?.Report($"trying {recipe}");
                var output = Path.Combine(folderForOutputs.FullName, recipe + ".onnx");
                try
                {
                    var report = Compressor.Run(template with { Quantize = recipe, Output = output, Budget = null, ReportPath = null }, progress, cancellationToken);
                    double? speedup = null;
                    if (measureSpeed)
                    {
                        var (before, after) = Latency.Compare(source.SourcePath!, output, report.SessionOptions, sample);
                        speedup = after > 0 ? before / after : null;
                    }

                    candidates.Add(new RecipeCandidate(recipe, report, budget.Checks(report.Evaluation), speedup, null));
                }
                catch (DeepSeekException e) when (RecipeFailures.Contains(e.Id))
                {
                    candidates.Add(new RecipeCandidate(recipe, null, [], null, $"{e.Id}: {e.Problem}"));
                }
            }

            return new Recommendation(template.Input, new FileInfo(source.SourcePath!).Length, template.Profile.Name, budget, template.CalibrationFolder, candidates);
        }
        finally
        {
            folderForOutputs.Delete(recursive: true);
        }
    }

    /// <summary>The recommended <c>Quantize</c> value: the smallest candidate that keeps the budget and is not slower than the
    /// original here (fastest among equal sizes), else <c>none</c>.</summary>
    public static string Choose(IReadOnlyList<RecipeCandidate> candidates)
    {
        ArgumentNullException.ThrowIfNull(candidates);
        return candidates.Where(c => c.Kept && !c.Slower).OrderBy(c => c.Report!.OutputBytes).ThenByDescending(c => c.Speedup ?? 0).FirstOrDefault()?.Recipe ?? "none";
    }
}
