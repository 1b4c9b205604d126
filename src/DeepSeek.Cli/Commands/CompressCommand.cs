using System.CommandLine;
using System.Globalization;
using DeepSeek.Engine.Compression;
using DeepSeek.Engine.Profiles;
using DeepSeek.Engine.Runtime;
using DeepSeek.Engine.Verification;
using DeepSeek.Onnx.Diagnostics;
using DeepSeek.Onnx.IO;

namespace DeepSeek.Cli.Commands;

/// <summary><c>deepseek compress MODEL -o OUT [...]</c>: compress for a profile, verify in ONNX Runtime, write atomically.</summary>
internal static class CompressCommand
{
    public static Command Create(TextWriter output, TextWriter error, Option<string?> profilesFile, IProgress<string> progress)
    {
        var model = new Argument<string>("MODEL") { Description = "The ONNX model to compress (never modified)." };
        var outputPath = new Option<string>("--output", "-o") { Description = "Where to write the compressed model.", Required = true };
        var profile = new Option<string?>("--profile") { Description = "Hardware profile (deepseek profiles); default: this machine's." };
        var quantize = new Option<string>("--quantize") { Description = "none, int8, int8-dynamic, int8-static, int4, fp16 or auto.", DefaultValueFactory = _ => "auto" };
        var calibration = new Option<string?>("--calibration") { Description = "Folder of sample inputs for calibration and verification." };
        var method = new Option<string>("--calibration-method") { Description = "minmax, percentile or mse.", DefaultValueFactory = _ => "minmax" };
        var prune = new Option<string?>("--prune") { Description = "Share to prune, such as 0.3: of the prunable channels' weights (channel modes) or of each layer's weights (magnitude); the accuracy budget decides how much ships." };
        var pruneMode = new Option<string?>("--prune-mode") { Description = "channel-l1 (default with --prune), channel-l2 (remove whole channels and FFN units) or magnitude (zero single weights)." };
        var sparsity = new Option<string?>("--sparsity") { Description = "N:M magnitude pruning such as 2:4 or 1:16: at most N of every M weights along a layer's input stay." };
        var block = new Option<int?>("--int4-block") { Description = "INT4: values per block (32, 64 or 128); default 32, 128 for models of 1B parameters or more." };
        var symmetric = new Option<bool>("--int4-symmetric") { Description = "INT4: symmetric blocks (no zero points)." };
        var int4Method = new Option<string>("--int4-method") { Description = "INT4: gptq (errors weighed by the calibration data's layer inputs), rtn (each block rounded to nearest) or auto (gptq with --calibration, else rtn).", DefaultValueFactory = _ => "auto" };
        var budget = new Option<string?>("--accuracy-budget")
        {
            Description = "Read per output kind (docs/recipes.md); default 1%: a model that misses it is not written (DSB0063). none: enforce nothing.",
        };
        var kinds = new OutputKindOptions();
        var report = new Option<string?>("--report") { Description = "Write a report: HTML when the name ends in .html or .htm (a page to look at), else JSON (docs/compress-report.md)." };
        var htmlReport = new Option<string?>("--html-report") { Description = "Also write the HTML report here, whatever the name (the build writes one beside the JSON)." };
        var manifest = new Option<string?>("--manifest") { Description = "Write the model's text manifest (docs/manifest.md)." };
        var dim = new Option<string[]>("--dim")
        {
            Description = "Without --calibration: a symbolic input dimension's size for the random samples, as name=size (repeatable; docs/recipes.md).",
            Arity = ArgumentArity.ZeroOrMore,
        };
        var maxMemory = new Option<string?>("--max-memory")
        {
            Description = "Memory the engine may use, such as 3GB (default: half this machine's): larger models are run and verified block by block.",
        };
        var cache = new Option<string?>("--cache") { Description = "A folder of compressed models keyed by content; a hit skips compression." };
        var command = new Command("compress", "Compress a model for a hardware profile, verify it in ONNX Runtime and write it atomically.")
        {
            model, outputPath, profile, quantize, calibration, method, block, symmetric, int4Method, prune, pruneMode, sparsity, budget, report, htmlReport, manifest, cache, dim, maxMemory,
        };
        kinds.AddTo(command);

        command.SetAction((parse, cancellationToken) =>
        {
            var input = parse.GetRequiredValue(model);
            return Task.FromResult(DeepSeekCli.Guard(error, input, () =>
            {
                var pruning = DeepSeek.Engine.Pruning.PruneSettings.Parse(parse.GetValue(prune), parse.GetValue(pruneMode), parse.GetValue(sparsity));
                var dims = new Dictionary<string, long>(StringComparer.Ordinal);
                foreach (var text in parse.GetValue(dim) ?? [])
                {
                    RandomInputs.ParseDim(text, dims);
                }

                var catalog = ProfileCatalog.Load(parse.GetValue(profilesFile));
                var request = new CompressionRequest
                {
                    Input = input,
                    Output = parse.GetRequiredValue(outputPath),
                    Profile = parse.GetValue(profile) is { } name ? catalog.Get(name) : catalog.ForHost(),
                    Quantize = parse.GetValue(quantize) ?? "auto",
                    CalibrationFolder = parse.GetValue(calibration),
                    CalibrationMethod = parse.GetValue(method) switch
                    {
                        "minmax" or null => CalibrationMethod.MinMax,
                        "percentile" => CalibrationMethod.Percentile,
                        "mse" => CalibrationMethod.Mse,
                        var other => throw new DeepSeekException(DiagnosticIds.InvalidOption, "--calibration-method", $"{Names.Quote(other)} is not a calibration method", "use minmax, percentile or mse"),
                    },
                    Int4BlockSize = parse.GetValue(block),
                    Int4Symmetric = parse.GetValue(symmetric),
                    Int4Method = Int4Methods.Parse(parse.GetValue(int4Method)!),
                    Budget = parse.GetValue(budget) is { } b ? AccuracyBudget.ParseOrNone(b) : AccuracyBudget.Default,
                    Task = parse.GetValue(kinds.Task),
                    OutputKinds = kinds.ByOutput(parse),
                    ReportPath = parse.GetValue(report),
                    HtmlReportPath = parse.GetValue(htmlReport),
                    Dims = dims,
                    MaxMemory = parse.GetValue(maxMemory) is { } memory ? MemoryBudget.Parse(memory) : null,
                    Prune = pruning,
                };
                var cacheFolder = parse.GetValue(cache) is { } folder ? new CompressionCache(folder) : null;
                var key = cacheFolder is null ? null : CompressionCache.Key(request);
                var manifestPath = parse.GetValue(manifest);
                if (cacheFolder?.TryGet(key!) is { } cached)
                {
                    CompressionCache.CopyTo(cached, request.Output);
                    if (manifestPath is not null)
                    {
                        ModelManifest.Write(manifestPath, ModelReader.Read(request.Input), request.Profile.Name, cacheFolder.Recipe(key!), cacheFolder.Options(key!), request.Output);
                    }

                    output.WriteLine($"{input} → {request.Output}: from the cache ({key![..12]}), nothing compressed");
                    return DeepSeekCli.Success;
                }

                // Ctrl+C cancels: the compressor stops at the next step and leaves no output file.
                var result = Compressor.Run(request, progress, cancellationToken);
                if (cacheFolder is not null)
                {
                    cacheFolder.Put(key!, request.Output, result.Recipe, result.SessionOptions);
                }

                if (manifestPath is not null)
                {
                    ModelManifest.Write(manifestPath, ModelReader.Read(request.Input), request.Profile.Name, result.Recipe, result.SessionOptions, request.Output);
                }

                WriteSummary(result, output);
                return DeepSeekCli.Success;
            }));
        });
        return command;
    }

    private static void WriteSummary(CompressionReport r, TextWriter o)
    {
        var c = CultureInfo.InvariantCulture;
        o.WriteLine(string.Create(c, $"{r.Input} → {r.Output}"));
        o.WriteLine(string.Create(c, $"  profile {r.Profile}, recipe {r.Recipe}; {r.InputBytes:N0} → {r.OutputBytes:N0} bytes ({r.SizeRatio:P1})"));
        foreach (var warning in r.Warnings)
        {
            // The form MSBuild's task turns into a build warning: "warning DSBxxxx: file: message".
            var colon = warning.IndexOf(':', StringComparison.Ordinal);
            o.WriteLine($"warning {warning[..colon]}: {r.Input}:{warning[(colon + 1)..]}");
        }

        foreach (var pass in r.Passes)
        {
            o.WriteLine(string.Create(c, $"  {pass.Result.Pass,-22} {pass.Result.Summary} ({pass.Milliseconds:F0} ms)"));
        }

        foreach (var (key, value) in r.SessionOptions)
        {
            o.WriteLine($"  needs session option {key}={value}");
        }

        if (r.Pruning is { } pruning)
        {
            o.WriteLine(string.Create(c, $"  pruning {pruning.Requested}: shipped {pruning.ShippedFraction:P1} ({pruning.ModelFraction:P1} of the model's weights)"));
            foreach (var tried in pruning.Tried)
            {
                o.WriteLine($"    missed the budget at {tried}");
            }

            foreach (var layer in pruning.Layers.Where(l => l.After < l.Before || l.Sensitivity > 0))
            {
                o.WriteLine(string.Create(c, $"    {layer.Layer,-32} {layer.Kind,-14} {layer.Before,8:N0} → {layer.After,8:N0} ({layer.Removed:P0} removed{(layer.Sensitivity > 0 ? $", sensitivity {layer.Sensitivity:0.####}" : "")})"));
            }
        }

        EvalCommand.WriteMetrics(r.Evaluation, o);
        o.WriteLine($"  budget: {r.Budget}");
        foreach (var check in r.BudgetChecks)
        {
            var bound = check.AtLeast ? "≥" : "≤";
            o.WriteLine(string.Create(c, $"    {check.Output} ({OutputKinds.Name(check.Kind)}): {BudgetCheck.Label(check.Metric)} {check.Value:0.####} {bound} {check.Threshold:0.####} {(check.Met ? "met" : "MISSED")}"));
        }
    }
}
