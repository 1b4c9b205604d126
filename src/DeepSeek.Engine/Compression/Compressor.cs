using System.Diagnostics;
using DeepSeek.Engine.Data;
using DeepSeek.Engine.Graph;
using DeepSeek.Engine.Passes;
using DeepSeek.Engine.Profiles;
using DeepSeek.Engine.Runtime;
using DeepSeek.Engine.Verification;
using DeepSeek.Onnx.Diagnostics;
using DeepSeek.Onnx.IO;
using DeepSeek.Onnx.Model;
using DeepSeek.Onnx.Validation;

namespace DeepSeek.Engine.Compression;

/// <summary>
/// The engine: read the model, plan the recipe, run its passes on a copy, write the result to a temporary file, load it in
/// ONNX Runtime and compare it with the original, and only then move it into place. A failure, a missed budget or a
/// cancellation leaves no output; the source model is only ever read.
/// </summary>
public static class Compressor
{
    /// <summary>Samples used for verification when no data folder is given.</summary>
    public const int RandomSamples = 8;

    /// <summary>The data source the report names when the samples were made up (<see cref="RandomInputs"/>).</summary>
    public const string RandomDataSource = "random";

    /// <summary>The report's budget when the user opted out with <c>none</c>.</summary>
    public const string NothingEnforced = "none: nothing was enforced (AccuracyBudget=\"none\")";

    /// <summary>Compresses <see cref="CompressionRequest.Input"/> into <see cref="CompressionRequest.Output"/>.</summary>
    public static CompressionReport Run(CompressionRequest request, IProgress<string>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        var timings = new Dictionary<string, double>(StringComparer.Ordinal);
        var total = Stopwatch.StartNew();
        var clock = Stopwatch.StartNew();
        var source = ModelReader.Read(request.Input);
        FiniteWeights.Check(source); // DSB0023 before any pass: NaN or infinity would only be quantized into garbage
        var output = Path.GetFullPath(request.Output);
        if (string.Equals(output, source.SourcePath, StringComparison.Ordinal))
        {
            throw new DeepSeekException(DiagnosticIds.OutputIsInput, request.Output, "is the source model", "write the compressed model to another path");
        }

        // The output's external data goes to <output>.data: that must not be one of the source's data files either.
        if (source.ExternalDataPaths().Contains(output + ".data", StringComparer.Ordinal))
        {
            throw new DeepSeekException(DiagnosticIds.OutputIsInput, request.Output, $"would write its external data over the source's {Names.Quote(Path.GetFileName(output) + ".data")}",
                "write the compressed model to another path or folder");
        }

        var data = request.CalibrationFolder is null ? null : DataSet.Load(request.CalibrationFolder, source.Graph.Inputs);
        var samples = data is null
            ? RandomInputs.Create(source, RandomSamples, seed: 1, request.Dims)
            : data.Samples.Select(s => s.Inputs).ToList();
        var sampleNames = data?.Samples.Select(s => s.Source).ToList();
        var dataSource = request.CalibrationFolder ?? RandomDataSource;
        Evaluator.CheckInputsFinite(samples, dataSource, sampleNames); // DSB0057 before calibration reads the samples
        var labels = data is { HasLabels: true } ? data.Samples.Select(s => s.Label ?? -1).ToList() : null;
        var kinds = OutputKindInference.Resolve(source, request.Task, request.OutputKinds);
        timings["read"] = Lap(clock);

        var recipes = RecipePlanner.Candidates(request.Quantize, request.Profile, source, data is not null);
        var attempts = new List<string>();
        var pruning = new PruneState();
        for (var i = 0; ; i++)
        {
            try
            {
                var report = Attempt(recipes[i], request, source, output, new Evidence(samples, sampleNames, labels, kinds, dataSource, data is null), new Dictionary<string, double>(timings), total, recipes.Count > 1, pruning, progress, cancellationToken);
                report = report with { Attempts = attempts };
                WriteReports(request, report, source, output);

                return report;
            }
            catch (DeepSeekException e) when (e.Id == DiagnosticIds.AccuracyBudgetMissed.Id && pruning.Shipped > 0 && pruning.Retries < PruneRetries)
            {
                // Pruning passed the budget on its own, the quantized model missed it: the same recipe again with half the share.
                attempts.Add(string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{RecipePlanner.Name(recipes[i])} with {pruning.Shipped:P1} pruned: {e.Problem}"));
                pruning.Limit = pruning.Shipped / 2;
                pruning.Retries++;
                progress?.Report($"{RecipePlanner.Name(recipes[i])} with pruning missed the budget; trying again with less pruned");
                i--;
            }
            catch (DeepSeekException e) when (i + 1 < recipes.Count && (e.Id == DiagnosticIds.AccuracyBudgetMissed.Id || e.Id == DiagnosticIds.NoKernel.Id || e.Id == DiagnosticIds.SlowerThanOriginal.Id || e.Id == DiagnosticIds.SizeBudgetExceeded.Id || e.Id == DiagnosticIds.NotSmaller.Id || e.Id == DiagnosticIds.StaticNotFaster.Id))
            {
                attempts.Add($"{RecipePlanner.Name(recipes[i])}: {e.Problem}");
                progress?.Report($"{RecipePlanner.Name(recipes[i])} rejected ({e.Id}); trying {RecipePlanner.Name(recipes[i + 1])}");
            }
        }
    }

    /// <summary>After a quantized model missed the budget, a pruned attempt is retried at most this many times (half the share each).</summary>
    public const int PruneRetries = 3;

    /// <summary>What pruning shipped in the last attempt, and the most the next may remove.</summary>
    private sealed class PruneState
    {
        public double Limit { get; set; } = 1;
        public double Shipped { get; set; }
        public int Retries { get; set; }
    }

    private static CompressionReport Attempt(Recipe recipe, CompressionRequest request, OnnxModel source, string output,
        Evidence evidence, Dictionary<string, double> timings, Stopwatch total, bool checkSpeed, PruneState pruning, IProgress<string>? progress, CancellationToken cancellationToken)
    {
        var directory = Path.GetDirectoryName(output)!;
        if (!Directory.Exists(directory))
        {
            throw new DeepSeekException(DiagnosticIds.WriteFailed, request.Output, "the output folder does not exist");
        }

        // A hidden folder beside the output holds the model (and its external data, under the final names its location field
        // gives) until it is verified; then both move into place, data first. A model with external data writes its new
        // tensors straight into that data file as the passes make them (its weight store): no quantized weight stays in memory.
        var staging = Path.Combine(directory, $".{Path.GetFileName(output)}.{Guid.NewGuid():N}.verify");
        Directory.CreateDirectory(staging);
        var working = new OnnxModel(source.Proto.Clone(), source.DisplayPath, source.BaseDirectory);
        try
        {
            if (source.HasExternalData)
            {
                // A name no source tensor can name (the source may keep its data in a file called <output>.data elsewhere):
                // saving the model moves it to <output>.data in the staging folder.
                working.OutputData = new ExternalDataFile(Path.Combine(staging, $".{Guid.NewGuid():N}.data"));
            }

            return CompressAndVerify(recipe, request, source, output, staging, working, evidence, timings, total, checkSpeed, pruning, progress, cancellationToken);
        }
        finally
        {
            working.OutputData?.Dispose();
            try
            {
                Directory.Delete(staging, recursive: true);
            }
            catch (IOException)
            {
                // best effort, never over the real error: a leftover staging folder is hidden and never taken for output
            }
        }
    }

    /// <summary>One recipe's passes on <paramref name="working"/>, written to <paramref name="staging"/>, verified, moved into place.</summary>
    private static CompressionReport CompressAndVerify(Recipe recipe, CompressionRequest request, OnnxModel source, string output, string staging, OnnxModel working,
        Evidence evidence, Dictionary<string, double> timings, Stopwatch total, bool checkSpeed, PruneState pruning, IProgress<string>? progress, CancellationToken cancellationToken)
    {
        var samples = evidence.Samples;
        var clock = Stopwatch.StartNew();
        var context = new PassContext(working) { Log = progress ?? new Progress<string>(), Cancellation = cancellationToken };
        var run = new StageRun(request, source, context, samples, progress, cancellationToken)
        {
            RandomSamples = evidence.Random,
            PruneLimit = pruning.Limit,
            CheckBudget = (candidate, check) => CheckPruned(recipe, request, source, candidate, staging, evidence, check),
        };
        pruning.Shipped = 0;
        foreach (var stage in RecipeBook.Get(recipe).Stages)
        {
            RecipeStages.Run(stage, run);
        }

        pruning.Shipped = run.Pruning?.ShippedFraction ?? 0;

        var passes = run.Passes;
        var sensitivity = run.Sensitivity;
        var warnings = new List<string>();
        var shipOriginal = recipe != Recipe.None && run.Quantized == 0 && !source.HasExternalData;
        if (shipOriginal)
        {
            warnings.Add($"{DiagnosticIds.NothingQuantized.Id}: {RecipePlanner.Name(recipe)} quantized nothing in this model (it has no operator the recipe rewrites); the original ships unchanged — {BetterRecipe(recipe, source, evidence.Random)}");
            progress?.Report(warnings[^1]);
            context.RequiredSessionOptions.Clear();
        }

        foreach (var (key, value) in run.Timings)
        {
            timings[key] = value;
        }

        timings["passes"] = passes.Sum(p => p.Milliseconds);
        RemoveStaleValueInfo(working);
        cancellationToken.ThrowIfCancellationRequested();

        // Write beside the output, verify, then move into place.
        clock.Restart();
        var temporary = Path.Combine(staging, Path.GetFileName(output));
        // A model that came with external data ships with it (its new tensors too): <output>.data beside the output.
        var dataFile = (working.HasExternalData || source.HasExternalData) && !shipOriginal ? Path.GetFileName(output) + ".data" : null;
        var stagedData = dataFile is null ? null : Path.Combine(staging, dataFile);
        if (shipOriginal)
        {
            File.Copy(source.SourcePath!, temporary, overwrite: true);
        }
        else
        {
            working.Save(temporary, dataFile is not null
                ? new ModelWriteOptions { ExternalData = ExternalDataMode.SeparateFile, ExternalDataFileName = dataFile }
                : new ModelWriteOptions { ExternalData = ExternalDataMode.Inline });
        }

        timings["write"] = Lap(clock);
        CheckSizeBudget(request, recipe, temporary, stagedData);
        if (recipe != Recipe.None && !shipOriginal)
        {
            CheckSmaller(request, recipe, source, temporary, stagedData);
        }

        var sessionOptions = new SortedDictionary<string, string>(context.RequiredSessionOptions, StringComparer.Ordinal);
        var memory = request.MaxMemory ?? MemoryBudget.FromMachine();
        var bothBytes = SourceBytes(source) + WrittenBytes(temporary, stagedData);
        var verifyOptions = VerificationOptions(sessionOptions, request.Profile);
        var evaluation = (bothBytes <= memory
            ? VerifySideBySide(source, temporary, verifyOptions, evidence, request, progress)
            : VerifyOneAtATime(source, temporary, verifyOptions, evidence, request, memory, progress, cancellationToken)) with { RandomInputs = evidence.Random };

        timings["verify"] = Lap(clock);
        IReadOnlyList<BudgetCheck> checks = [];
        string budgetNote = NothingEnforced;
        if (request.Budget is { } budget)
        {
            var missed = budget.Check(evaluation);
            if (missed is not null)
            {
                throw new DeepSeekException(DiagnosticIds.AccuracyBudgetMissed, request.Input, $"{RecipePlanner.Name(recipe)} for {request.Profile.Name}: {missed}"
                    + (evidence.Random ? $" (evidence: {samples.Count} random samples)" : ""),
                    (budget.IsDefault ? "no AccuracyBudget was given, so the default 1% applies; " : "")
                    + (evidence.Random ? "random inputs say little about real ones: give a Calibration folder of real samples; else " : "")
                    + "give calibration data closer to real inputs, choose a gentler recipe (int8-dynamic, fp16), raise the budget, or set the output's kind (Task) if it is not "
                    + string.Join(", ", evaluation.Outputs.Select(o => $"{Names.Quote(o.Output)}: {OutputKinds.Name(o.Kind)}")));
            }

            checks = budget.Checks(evaluation);
            budgetNote = $"{budget.Name}: met";
        }

        if (checkSpeed && recipe != Recipe.None && ProfileCatalog.BuiltIn.ForHost().Name == request.Profile.Name && bothBytes <= memory)
        {
            var (before, after) = Latency.Compare(source.SourcePath!, temporary, sessionOptions, samples[0]);
            timings["latencyOriginalMs"] = before;
            timings["latencyCompressedMs"] = after;
            if (after > before * 1.05)
            {
                throw new DeepSeekException(DiagnosticIds.SlowerThanOriginal, request.Input,
                    $"{RecipePlanner.Name(recipe)} runs in {after:F2} ms per sample here, the original in {before:F2} ms");
            }
        }

        // Only where dynamic INT8 is a rival: without convolutions (attention models, MLPs), dynamic quantizes every MatMul a
        // static model would; a conv net's convolutions have no dynamic form, so static is its only int8 one.
        if (recipe == Recipe.Int8Static && !Operators.OperatorRegistry.HasConvolution(source.Proto.Graph) && ProfileCatalog.BuiltIn.ForHost().Name == request.Profile.Name)
        {
            CheckFasterThanDynamic(request, source, samples, temporary, sessionOptions, evaluation, timings, progress, cancellationToken);
        }

        cancellationToken.ThrowIfCancellationRequested();
        var outputData = output + ".data";
        if (stagedData is not null)
        {
            File.Move(stagedData, outputData, overwrite: true);
        }
        else if (File.Exists(outputData))
        {
            File.Delete(outputData); // an earlier compression's external data: this model has none
        }

        File.Move(temporary, output, overwrite: true);
        timings["total"] = total.Elapsed.TotalMilliseconds;
        return new CompressionReport(request.Input, request.Output, SourceBytes(source), WrittenBytes(output, outputData),
            request.Profile.Name, request.Quantize, RecipePlanner.Name(recipe), passes, sessionOptions, evaluation, budgetNote, timings)
        {
            BudgetChecks = checks,
            Sensitivity = sensitivity,
            Warnings = warnings,
            Pruning = run.Pruning,
        };
    }

    /// <summary>
    /// The share of the accuracy budget a pruned model may spend before a quantizing recipe follows. The rest is for the
    /// quantization: measured here at about a tenth of a 1 % budget (int8-dynamic on arctic-embed-xs: pooled cosine 0.9989;
    /// int8-static on ResNet-18: 0.9989); a quantized model that still misses the whole budget is retried with half the share.
    /// </summary>
    public const double PrunedBudgetShare = 0.75;

    /// <summary>
    /// A pruned model before quantization against the accuracy budget (null: within it; else what missed):
    /// <see cref="PrunedBudgetShare"/> of it when a quantizing recipe follows, the whole budget for <c>none</c>. Opted out:
    /// always within.
    /// </summary>
    private static string? CheckPruned(Recipe recipe, CompressionRequest request, OnnxModel source, OnnxModel candidate, string staging, Evidence evidence, IReadOnlyList<int>? check)
    {
        if (request.Budget is not { } budget)
        {
            return null;
        }

        var path = Path.Combine(staging, ".pruned-candidate.onnx");
        candidate.Save(path, new ModelWriteOptions { ExternalData = ExternalDataMode.Inline });
        try
        {
            using var original = ModelSession.Open(source.SourcePath!, null);
            using var pruned = ModelSession.Open(path, null);
            // The samples the pruning fitted its refits on would flatter the candidate: it is judged on the others.
            List<T>? Checked<T>(List<T>? all) => all is null || check is null ? all : check.Select(i => all[i]).ToList();
            var evaluation = Evaluator.Compare(original, pruned, Checked(evidence.Samples)!, Checked(evidence.Labels), evidence.DataSource, request.Output, null,
                Checked(evidence.SampleNames), evidence.Kinds);
            return (recipe == Recipe.None ? budget : budget with { Points = budget.Points * PrunedBudgetShare }).Check(evaluation);
        }
        finally
        {
            File.Delete(path);
        }
    }

    /// <summary>
    /// The compressed model's session options for verification: its own, and, on an x64 machine without VNNI checking a model
    /// whose int8 weights use all 8 bits (made for a target whose kernels do not saturate: arm64, VNNI), ONNX Runtime's exact
    /// u8s8 form (<c>session.x64quantprecision=1</c>), so that the figures are the target's arithmetic, not this machine's
    /// saturating kernels. Only verification uses it; the manifest keeps the model's own options.
    /// </summary>
    internal static IReadOnlyDictionary<string, string> VerificationOptions(IReadOnlyDictionary<string, string> sessionOptions, HardwareProfile profile)
    {
        if (HostCpu.Current.ProfileName != "x64-avx2" || profile.Int8.WeightBits != 8 || sessionOptions.ContainsKey(MixedPrecision.X64QuantPrecision))
        {
            return sessionOptions;
        }

        return new SortedDictionary<string, string>(sessionOptions.ToDictionary(p => p.Key, p => p.Value), StringComparer.Ordinal) { [MixedPrecision.X64QuantPrecision] = "1" };
    }

    /// <summary>Verification when both models fit in memory together: one session each, sample by sample.</summary>
    private static EvaluationResult VerifySideBySide(OnnxModel source, string compressedPath, IReadOnlyDictionary<string, string> sessionOptions, Evidence evidence,
        CompressionRequest request, IProgress<string>? progress)
    {
        using var original = ModelSession.Open(source.SourcePath!, null);
        using var compressed = ModelSession.Open(compressedPath, sessionOptions);
        return Evaluator.Compare(original, compressed, evidence.Samples, evidence.Labels, evidence.DataSource, request.Output, progress, evidence.SampleNames, evidence.Kinds);
    }

    /// <summary>
    /// Verification within a memory budget the two models do not fit in together: the original runs on every sample first, then
    /// the compressed model; each whole when its weights fit in half the budget, else block by block (<see cref="BlockRunner"/>).
    /// Only the outputs are kept between the two.
    /// </summary>
    private static EvaluationResult VerifyOneAtATime(OnnxModel source, string compressedPath, IReadOnlyDictionary<string, string> sessionOptions, Evidence evidence,
        CompressionRequest request, long memory, IProgress<string>? progress, CancellationToken cancellationToken)
    {
        progress?.Report($"verifying one model at a time within {MemoryBudget.Format(memory)}");
        var names = source.Proto.Graph.Output.Select(o => o.Name).ToList();
        var expected = BlockRunner.Run(source, evidence.Samples, memory / 2, null, names, progress, cancellationToken);
        var compressed = ModelReader.Read(compressedPath);
        var actual = BlockRunner.Run(compressed, evidence.Samples, memory / 2, sessionOptions, names, progress, cancellationToken);
        return Evaluator.Compare(names, s => expected[s], s => actual[s], evidence.Samples, evidence.Labels, evidence.DataSource, request.Output, progress,
            evidence.SampleNames, evidence.Kinds);
    }

    /// <summary>A written model's bytes: its file and its external data file, if any.</summary>
    private static long WrittenBytes(string model, string? data) => new FileInfo(model).Length + (data is not null && File.Exists(data) ? new FileInfo(data).Length : 0);

    /// <summary>The reports asked for; an HTML one gets the sizes of both models' tensors (the source is already in memory).</summary>
    private static void WriteReports(CompressionRequest request, CompressionReport report, OnnxModel source, string output)
    {
        var html = request.HtmlReportPath is not null || (request.ReportPath is { } path && ReportWriter.IsHtml(path));
        var sizes = html ? new Reports.ReportSizes(Reports.ModelSizeBreakdown.Measure(source), Reports.ModelSizeBreakdown.Measure(ModelReader.Read(output))) : null;
        if (request.ReportPath is not null)
        {
            ReportWriter.WriteFile(report, request.ReportPath, sizes);
        }

        if (request.HtmlReportPath is not null)
        {
            ReportWriter.WriteHtmlFile(report, request.HtmlReportPath, sizes);
        }
    }

    /// <summary>The upgraded graph must give the original's outputs before any pass runs (issue: upgrades are checked in ONNX Runtime).</summary>
    internal static void CheckUpgrade(OnnxModel source, OnnxModel upgraded, IReadOnlyDictionary<string, TensorValue> sample, IProgress<string>? progress)
    {
        progress?.Report("checking the opset upgrade in ONNX Runtime");
        var folder = Directory.CreateTempSubdirectory("deepseek-upgrade-");
        try
        {
            var path = Path.Combine(folder.FullName, "upgraded.onnx");
            upgraded.Save(path, new ModelWriteOptions { ExternalData = upgraded.HasExternalData ? ExternalDataMode.SeparateFile : ExternalDataMode.Inline });
            using var before = ModelSession.Open(source.SourcePath!, null);
            using var after = ModelSession.Open(path, null);
            var expected = before.Run(sample, null, source.DisplayPath);
            var actual = after.Run(sample, before.OutputNames, source.DisplayPath);
            foreach (var (name, value) in expected)
            {
                if (value.Data is float[] x && actual[name].Data is float[] y)
                {
                    var peak = x.Select(Math.Abs).DefaultIfEmpty(0).Max();
                    var worst = x.Zip(y, (a, b) => Math.Abs(a - b)).DefaultIfEmpty(0).Max();
                    if (worst > 1e-4 * Math.Max(1, peak))
                    {
                        throw new DeepSeekException(DiagnosticIds.OperatorNotUpgradable, source.DisplayPath,
                            $"the graph upgraded to opset 13 gives output {Names.Quote(name)} off by {worst} (of {peak})", "report this model; use int8-dynamic or fp16 meanwhile");
                    }
                }
            }
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }

    /// <summary>Below this time per sample (both forms) the call's overhead decides, not the kernels: static is not refused for speed.</summary>
    public const double MinComparableMs = 1.0;

    /// <summary>Static INT8 must run in at most this fraction of dynamic INT8's time (a clear gain, not timing noise).</summary>
    public const double StaticSpeedMargin = 0.95;

    /// <summary>
    /// Static INT8 is worth its calibration only where it runs faster than dynamic INT8 on the same model: on this machine (the
    /// target), the dynamic form is built from the source and both are timed in alternation; DSB0082 with both timings and the
    /// static form's figures unless static takes at most <see cref="StaticSpeedMargin"/> of dynamic's time. On attention models ONNX Runtime fuses the dynamic form into one kernel per MatMul
    /// (DynamicQuantizeMatMul), which the static QDQ form does not beat.
    /// </summary>
    private static void CheckFasterThanDynamic(CompressionRequest request, OnnxModel source, List<IReadOnlyDictionary<string, TensorValue>> samples, string staticPath,
        IReadOnlyDictionary<string, string> sessionOptions, EvaluationResult evaluation, Dictionary<string, double> timings, IProgress<string>? progress, CancellationToken cancellationToken)
    {
        var working = new OnnxModel(source.Proto.Clone(), source.DisplayPath, source.BaseDirectory);
        var run = new StageRun(request, source, new PassContext(working) { Cancellation = cancellationToken }, samples, null, cancellationToken);
        foreach (var stage in RecipeBook.Get(Recipe.Int8Dynamic).Stages)
        {
            RecipeStages.Run(stage, run);
        }

        if (run.Quantized == 0 || working.HasExternalData)
        {
            return; // dynamic INT8 has nothing to quantize here (a convolutional network): static has no rival
        }

        progress?.Report("timing int8-static against int8-dynamic");
        var folder = Directory.CreateTempSubdirectory("deepseek-dynamic-");
        try
        {
            var dynamicPath = Path.Combine(folder.FullName, "dynamic.onnx");
            working.Save(dynamicPath, new ModelWriteOptions { ExternalData = ExternalDataMode.Inline });
            var (dynamicMs, staticMs) = Latency.Interleaved(dynamicPath, null, staticPath, sessionOptions, samples);
            timings["latencyDynamicMs"] = dynamicMs;
            timings["latencyStaticMs"] = staticMs;
            if (staticMs > dynamicMs * StaticSpeedMargin && Math.Max(staticMs, dynamicMs) >= MinComparableMs)
            {
                var figures = string.Join("; ", evaluation.Outputs.Select(o => $"{Names.Quote(o.Output)}: " + (o.PooledCosine is { } pooled
                    ? string.Create(System.Globalization.CultureInfo.InvariantCulture, $"pooled cosine {pooled:0.####}")
                    : string.Create(System.Globalization.CultureInfo.InvariantCulture, $"cosine {o.MeanCosine:0.####}"))));
                throw new DeepSeekException(DiagnosticIds.StaticNotFaster, request.Input, string.Create(System.Globalization.CultureInfo.InvariantCulture,
                    $"int8-static for {request.Profile.Name} runs in {staticMs:F2} ms per sample here, int8-dynamic in {dynamicMs:F2} ms (static's fidelity: {figures})"));
            }
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }

    /// <summary>What to try when <paramref name="recipe"/> found nothing to quantize, by what the model holds.</summary>
    private static string BetterRecipe(Recipe recipe, OnnxModel source, bool random)
    {
        var convolutional = Operators.OperatorRegistry.HasConvolution(source.Proto.Graph);
        return convolutional && recipe != Recipe.Int8Static
            ? "int8-static" + (random ? " with a Calibration folder of sample inputs" : "") + " quantizes its convolutions; fp16 halves every weight"
            : recipe == Recipe.Fp16 ? "the model has no float weights large enough to store in fp16; ship it with Quantize=\"none\"" : "fp16 halves every float weight";
    }

    /// <summary>The source's bytes: its .onnx file and the external data files it names.</summary>
    private static long SourceBytes(OnnxModel source)
        => new FileInfo(source.SourcePath!).Length + source.ExternalDataPaths().Where(File.Exists).Sum(f => new FileInfo(f).Length);

    /// <summary>DSB0080 when the written model (with its external data) is not smaller than the source (with its own).</summary>
    private static void CheckSmaller(CompressionRequest request, Recipe recipe, OnnxModel source, string written, string? externalData)
    {
        var before = SourceBytes(source);
        var after = WrittenBytes(written, externalData);
        if (after >= before)
        {
            throw new DeepSeekException(DiagnosticIds.NotSmaller, request.Input, string.Create(System.Globalization.CultureInfo.InvariantCulture,
                $"{RecipePlanner.Name(recipe)} for {request.Profile.Name} gives {after:N0} bytes, not fewer than the source's {before:N0}"));
        }
    }

    /// <summary>DSB0068 when the written model (with its external data) is over the profile's <c>sizeBudgetMB</c>.</summary>
    private static void CheckSizeBudget(CompressionRequest request, Recipe recipe, string written, string? externalData)
    {
        if (request.Profile.SizeBudgetMB is not { } budget)
        {
            return;
        }

        var bytes = WrittenBytes(written, externalData);
        if (bytes > budget * 1_000_000)
        {
            throw new DeepSeekException(DiagnosticIds.SizeBudgetExceeded, request.Input, string.Create(System.Globalization.CultureInfo.InvariantCulture,
                $"{RecipePlanner.Name(recipe)} for {request.Profile.Name} is {bytes / 1e6:F2} MB, over the profile's size budget of {budget:G} MB"));
        }
    }

    private static void RemoveStaleValueInfo(OnnxModel model)
    {
        var graph = model.Proto.Graph;
        var live = graph.Node.SelectMany(n => n.Output).Concat(graph.Input.Select(i => i.Name)).Concat(graph.Initializer.Select(t => t.Name)).ToHashSet(StringComparer.Ordinal);
        for (var i = graph.ValueInfo.Count - 1; i >= 0; i--)
        {
            if (!live.Contains(graph.ValueInfo[i].Name))
            {
                graph.ValueInfo.RemoveAt(i);
            }
        }

        _ = new GraphEditor(graph).RemoveUnusedInitializers();
    }

    private static double Lap(Stopwatch clock)
    {
        var ms = clock.Elapsed.TotalMilliseconds;
        clock.Restart();
        return ms;
    }

    /// <summary>What every attempt is verified on: the samples, their names, labels, the kind of each output, where the samples
    /// come from (the data folder, or <see cref="RandomDataSource"/>) and whether they were made up.</summary>
    private sealed record Evidence(List<IReadOnlyDictionary<string, TensorValue>> Samples, List<string>? SampleNames, List<long>? Labels,
        IReadOnlyDictionary<string, OutputKindChoice> Kinds, string DataSource, bool Random);
}
