using System.CommandLine;
using System.Globalization;
using DeepSeek.Engine.Compression;
using DeepSeek.Engine.Profiles;
using DeepSeek.Engine.Verification;
using DeepSeek.Onnx.Diagnostics;

namespace DeepSeek.Cli.Commands;

/// <summary><c>deepseek recommend MODEL [--calibration DIR] [--profile P] [--accuracy-budget X%] [--report x.html]</c>: every
/// candidate recipe, measured, in one table, then the recommended <c>DeepSeekModel</c> line.</summary>
internal static class RecommendCommand
{
    public static Command Create(TextWriter output, TextWriter error, Option<string?> profilesFile, IProgress<string> progress)
    {
        var model = new Argument<string>("MODEL") { Description = "The ONNX model (never modified)." };
        var profile = new Option<string?>("--profile") { Description = "Hardware profile (deepseek profiles); default: this machine's." };
        var calibration = new Option<string?>("--calibration") { Description = "Folder of sample inputs for calibration and verification (without it: random inputs, and no int8-static)." };
        var budget = new Option<string?>("--accuracy-budget") { Description = "The budget each candidate is held to, read per output kind (default 1%)." };
        var report = new Option<string?>("--report") { Description = "Also write the table, with plots, as one self-contained HTML page (FILE.html)." };
        var kinds = new OutputKindOptions();
        var command = new Command("recommend", "Compress with every candidate recipe for the profile, verify each, and recommend the smallest that keeps the budget.")
        {
            model, profile, calibration, budget, report,
        };
        kinds.AddTo(command);
        command.SetAction((parse, cancellationToken) =>
        {
            var input = parse.GetRequiredValue(model);
            return Task.FromResult(DeepSeekCli.Guard(error, input, () =>
            {
                var page = parse.GetValue(report);
                if (page is not null && !ReportWriter.IsHtml(page))
                {
                    throw new DeepSeekException(DiagnosticIds.InvalidOption, "--report", $"{Names.Quote(page)} is not an HTML file name", "recommend writes an HTML page: name it FILE.html");
                }

                var catalog = ProfileCatalog.Load(parse.GetValue(profilesFile));
                var request = new CompressionRequest
                {
                    Input = input,
                    Output = input, // each candidate is written to a temporary folder
                    Profile = parse.GetValue(profile) is { } name ? catalog.Get(name) : catalog.ForHost(),
                    CalibrationFolder = parse.GetValue(calibration),
                    Budget = parse.GetValue(budget) is { } b ? AccuracyBudget.Parse(b) : AccuracyBudget.Default,
                    Task = parse.GetValue(kinds.Task),
                    OutputKinds = kinds.ByOutput(parse),
                };
                var recommendation = Recommender.Measure(request, progress, cancellationToken);
                Write(output, recommendation);
                if (page is not null)
                {
                    ReportWriter.WriteRecommendationFile(recommendation, page);
                    output.WriteLine($"  report: {page}");
                }

                return DeepSeekCli.Success;
            }));
        });
        return command;
    }

    private static void Write(TextWriter o, Recommendation recommendation)
    {
        var c = CultureInfo.InvariantCulture;
        var evidence = recommendation.CalibrationFolder ?? "random inputs (add --calibration DIR of real samples)";
        o.WriteLine($"{recommendation.Input}: profile {recommendation.Profile}, budget {recommendation.Budget.Name}, evidence {evidence}");
        o.WriteLine(string.Create(c, $"  {"recipe",-13} {"size",12} {"ratio",7} {"speed",7}  {"budget",-7} checks"));
        foreach (var candidate in recommendation.Candidates)
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

        if (!recommendation.SpeedMeasured)
        {
            o.WriteLine($"  speed: not measured (this machine is not a {recommendation.Profile} machine)");
        }

        o.WriteLine(recommendation.Chosen == "none"
            ? "recommended: none (no recipe keeps the budget without running slower than the original); ship the model as it is"
            : $"recommended: {recommendation.Chosen}");
        o.WriteLine("  " + recommendation.ItemLine);
    }
}
