using System.CommandLine;
using System.Globalization;
using DeepSeek.Engine.Compression;
using DeepSeek.Engine.Profiles;
using DeepSeek.Engine.Verification;
using DeepSeek.Onnx.Diagnostics;

namespace DeepSeek.Cli.Commands;

/// <summary><c>deepseek recommend MODEL [--calibration DIR] [--profile P] [--accuracy-budget X%]</c>: every candidate recipe,
/// measured, in one table, then the recommended <c>DeepSeekModel</c> line.</summary>
internal static class RecommendCommand
{
    public static Command Create(TextWriter output, TextWriter error, Option<string?> profilesFile, IProgress<string> progress)
    {
        var model = new Argument<string>("MODEL") { Description = "The ONNX model (never modified)." };
        var profile = new Option<string?>("--profile") { Description = "Hardware profile (deepseek profiles); default: this machine's." };
        var calibration = new Option<string?>("--calibration") { Description = "Folder of sample inputs for calibration and verification (without it: random inputs, and no int8-static)." };
        var budget = new Option<string?>("--accuracy-budget") { Description = "The budget each candidate is held to, read per output kind (default 1%)." };
        var kinds = new OutputKindOptions();
        var command = new Command("recommend", "Compress with every candidate recipe for the profile, verify each, and recommend the smallest that keeps the budget.")
        {
            model, profile, calibration, budget,
        };
        kinds.AddTo(command);
        command.SetAction((parse, cancellationToken) =>
        {
            var input = parse.GetRequiredValue(model);
            return Task.FromResult(DeepSeekCli.Guard(error, input, () =>
            {
                var catalog = ProfileCatalog.Load(parse.GetValue(profilesFile));
                var accuracy = parse.GetValue(budget) is { } b ? AccuracyBudget.Parse(b) : AccuracyBudget.Default;
                var request = new CompressionRequest
                {
                    Input = input,
                    Output = input, // each candidate is written to a temporary folder
                    Profile = parse.GetValue(profile) is { } name ? catalog.Get(name) : catalog.ForHost(),
                    CalibrationFolder = parse.GetValue(calibration),
                    Budget = accuracy,
                    Task = parse.GetValue(kinds.Task),
                    OutputKinds = kinds.ByOutput(parse),
                };
                var candidates = Recommender.Measure(request, progress, cancellationToken);
                Write(output, input, request, accuracy, candidates);
                return DeepSeekCli.Success;
            }));
        });
        return command;
    }

    private static void Write(TextWriter o, string input, CompressionRequest request, AccuracyBudget budget, IReadOnlyList<RecipeCandidate> candidates)
    {
        var c = CultureInfo.InvariantCulture;
        var evidence = request.CalibrationFolder ?? "random inputs (add --calibration DIR of real samples)";
        o.WriteLine($"{input}: profile {request.Profile.Name}, budget {budget.Name}, evidence {evidence}");
        o.WriteLine(string.Create(c, $"  {"recipe",-13} {"size",12} {"ratio",7} {"speed",7}  {"budget",-7} checks"));
        foreach (var candidate in candidates)
        {
            if (candidate.Report is not { } r)
            {
                o.WriteLine($"  {candidate.Recipe,-13} {"—",12} {"",7} {"",7}  {"failed",-7} {candidate.Failure}");
                continue;
            }

            var speed = candidate.Speedup is { } s ? string.Create(c, $"{s:F2}x") : "—";
            var checks = string.Join("; ", candidate.Checks.Select(k => string.Create(c,
                $"{k.Output} {BudgetCheck.Label(k.Metric)} {k.Value:0.####} {(k.AtLeast ? "≥" : "≤")} {k.Threshold:0.####}{(k.Met ? "" : " MISSED")}")));
            o.WriteLine(string.Create(c, $"  {candidate.Recipe,-13} {r.OutputBytes,12:N0} {r.SizeRatio,7:P1} {speed,7}  {(candidate.Kept ? "kept" : "missed"),-7} {checks}{(candidate.Slower ? " (slower than the original here)" : "")}"));
        }

        if (candidates.All(k => k.Speedup is null))
        {
            o.WriteLine($"  speed: not measured (this machine is not a {request.Profile.Name} machine)");
        }

        var chosen = Recommender.Choose(candidates);
        var budgetAttribute = budget.IsDefault ? "" : $" AccuracyBudget=\"{budget.Points.ToString(c)}%\"";
        var calibrationAttribute = request.CalibrationFolder is { } folder ? $" Calibration=\"{folder}\"" : "";
        o.WriteLine(chosen == "none"
            ? "recommended: none (no recipe keeps the budget without running slower than the original); ship the model as it is"
            : $"recommended: {chosen}");
        o.WriteLine($"  <DeepSeekModel Include=\"{input}\" Quantize=\"{chosen}\"{calibrationAttribute}{budgetAttribute} />");
    }
}
