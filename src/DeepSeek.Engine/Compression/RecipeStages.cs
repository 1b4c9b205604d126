using System.Diagnostics;
using DeepSeek.Engine.Data;
using DeepSeek.Engine.Passes;
using DeepSeek.Engine.Runtime;
using DeepSeek.Onnx.Diagnostics;
using DeepSeek.Onnx.Model;

namespace DeepSeek.Engine.Compression;

/// <summary>What the stages of one attempt share: the model being transformed, the request, the samples, what earlier stages
/// measured (the calibration) and what each stage did.</summary>
internal sealed class StageRun(CompressionRequest request, OnnxModel source, PassContext context, IReadOnlyList<IReadOnlyDictionary<string, TensorValue>> samples,
    IProgress<string>? progress, CancellationToken cancellationToken)
{
    public CompressionRequest Request { get; } = request;
    public OnnxModel Source { get; } = source;
    public PassContext Context { get; } = context;
    public OnnxModel Working => Context.Model;
    public IReadOnlyList<IReadOnlyDictionary<string, TensorValue>> Samples { get; } = samples;
    public IProgress<string>? Progress { get; } = progress;
    public CancellationToken CancellationToken { get; } = cancellationToken;
    public List<PassReport> Passes { get; } = [];
    public Dictionary<string, double> Timings { get; } = new(StringComparer.Ordinal);
    public CalibrationResult? Calibration { get; set; }

    /// <summary>Whether the samples were made up (no data folder): measurements of real inputs are then skipped.</summary>
    public bool RandomSamples { get; init; }

    /// <summary>H = XᵀX of each MatMul input on the calibration data (the measure-inputs stage), for GPTQ.</summary>
    public IReadOnlyDictionary<string, (double[] Hessian, long Rows)>? InputMoments { get; set; }
    public IReadOnlyList<LayerSensitivity> Sensitivity { get; set; } = [];

    /// <summary>Checks a pruned candidate against the accuracy budget (null: within it) on the samples at the indices given
    /// (null: all; pruning leaves out those it fitted on); set by the compressor.</summary>
    public Func<DeepSeek.Onnx.Model.OnnxModel, IReadOnlyList<int>?, string?> CheckBudget { get; init; } = (_, _) => null;

    /// <summary>The most pruning may remove in this attempt (a retry after a missed budget lowers it).</summary>
    public double PruneLimit { get; init; } = 1;

    /// <summary>What the prune stage removed (null: no pruning asked for).</summary>
    public Pruning.PruningReport? Pruning { get; set; }

    /// <summary>Nodes, tables and tensors the quantizing stages rewrote: 0 means the recipe did nothing to this model.</summary>
    public long Quantized { get; set; }
}

/// <summary>Runs a recipe's stages by name (<see cref="RecipeBook"/>).</summary>
internal static class RecipeStages
{
    /// <summary>The stage names a recipe may use (<c>opset-upgrade:N</c> takes the opset it needs).</summary>
    public static IReadOnlyList<string> Names { get; } =
        ["constant-initializers", "opset-upgrade:N", "fold-batchnorm", "gemm-to-matmul", "prune", "embeddings-int8", "embeddings-int4", "calibrate", "measure-inputs", "int8-static", "int8-dynamic", "int4-block", "fp16-weights", "sparse-storage"];

    private static readonly HashSet<string> Quantizing = ["embeddings-int8", "embeddings-int4", "int8-dynamic", "int4-block", "fp16-weights", "sparse-storage"];

    public static void Run(string stage, StageRun run)
    {
        run.CancellationToken.ThrowIfCancellationRequested();
        var request = run.Request;
        switch (stage)
        {
            case "constant-initializers": Pass(run, new ConstantInitializersPass()); break;
            case "fold-batchnorm": Pass(run, new FoldBatchNormPass()); break;
            case "gemm-to-matmul": Pass(run, new GemmToMatMulPass()); break;
            case "embeddings-int8": Pass(run, new EmbeddingQuantizationPass(8, 128, weightBits: request.Profile.Int8.WeightBits)); break;
            case "embeddings-int4": Pass(run, new EmbeddingQuantizationPass(4, 64, request.Profile.Int4AccuracyLevel, request.Profile.Int8.WeightBits)); break;
            case "int8-dynamic": Pass(run, new DynamicInt8Pass(request.Profile)); break;
            case "int4-block": Pass(run, new Int4BlockPass(request.Int4BlockSize ?? Int4BlockPass.DefaultBlockSize(run.Source), request.Int4Symmetric, request.Profile.Int4AccuracyLevel, run.InputMoments)); break;
            case "measure-inputs":
            {
                if (request.Int4Method == Int4Method.Gptq && run.RandomSamples)
                {
                    throw new DeepSeekException(DiagnosticIds.CalibrationRequired, run.Context.File, "GPTQ (--int4-method gptq) was asked for without calibration data");
                }

                if (request.Int4Method == Int4Method.RoundToNearest || run.RandomSamples)
                {
                    break; // GPTQ weighs errors by real inputs; random ones would mislead it, so blocks are rounded to nearest
                }

                var clock = Stopwatch.StartNew();
                var widths = new Dictionary<string, int>(StringComparer.Ordinal);
                foreach (var (node, weight) in Int4BlockPass.Targets(new DeepSeek.Engine.Graph.GraphEditor(run.Working.Proto.Graph)))
                {
                    widths[node.Input[0]] = (int)weight.Dims[0];
                }

                // XᵀX of every distinct input is held at once (k² doubles each), and its factor beside it: past half the memory
                // budget (a 7B model's 44 GB), explicit GPTQ is refused and auto rounds to nearest.
                var statistics = widths.Values.Sum(k => (long)k * k * 12);
                var memory = request.MaxMemory ?? MemoryBudget.FromMachine();
                if (statistics > memory / 2)
                {
                    if (request.Int4Method == Int4Method.Gptq)
                    {
                        throw new DeepSeekException(DiagnosticIds.InvalidOption, "--int4-method", $"GPTQ's input statistics for this model take {MemoryBudget.Format(statistics)}, more than half the memory budget of {MemoryBudget.Format(memory)}",
                            "raise --max-memory (DeepSeekMaxMemory), or use --int4-method rtn");
                    }

                    run.Progress?.Report($"GPTQ's input statistics ({MemoryBudget.Format(statistics)}) do not fit in half of {MemoryBudget.Format(memory)}: blocks are rounded to nearest");
                    break;
                }

                // The first half of the samples (all of one): verification then also runs on samples GPTQ never fitted.
                var fitted = run.Samples.Take(Math.Min(request.MaxCalibrationSamples, Math.Max(1, run.Samples.Count / 2))).ToList();
                run.InputMoments = InputCovariance.Collect(run.Working, widths, fitted, run.Progress);
                run.Timings["calibration"] = clock.Elapsed.TotalMilliseconds;
                break;
            }

            case "fp16-weights": Pass(run, new Fp16WeightsPass()); break;
            case "sparse-storage": Pass(run, new DeepSeek.Engine.Pruning.SparseStoragePass()); break;
            case "prune" when request.Prune is { } prune:
            {
                var clock = Stopwatch.StartNew();
                run.Progress?.Report($"pass prune ({prune})");
                var report = DeepSeek.Engine.Pruning.PruningStage.Run(new DeepSeek.Engine.Pruning.PruningInputs(run.Working, prune, run.PruneLimit, run.Samples, run.CheckBudget, run.Progress, run.CancellationToken));
                run.Pruning = report;
                var changed = report.Layers.Count(l => l.After < l.Before);
                run.Quantized += changed;
                run.Passes.Add(new PassReport(new PassResult("prune", string.Create(System.Globalization.CultureInfo.InvariantCulture,
                    $"{report.Requested}: {report.ShippedFraction:P1} of the prunable weights removed in {changed} layer(s), {report.ModelFraction:P1} of the model's"),
                    new Dictionary<string, long> { ["layers"] = changed, ["prunable"] = report.Layers.Count }), clock.Elapsed.TotalMilliseconds));
                break;
            }

            case "prune": break;
            case "calibrate":
            {
                var clock = Stopwatch.StartNew();
                run.Calibration = Calibrator.Run(run.Working, run.Samples.Take(request.MaxCalibrationSamples).ToList(), request.CalibrationMethod, run.Progress);
                run.Timings["calibration"] = clock.Elapsed.TotalMilliseconds;
                break;
            }

            case "int8-static":
            {
                var calibration = run.Calibration ?? throw new DeepSeekException(DiagnosticIds.InternalError, run.Context.File, "the int8-static stage needs a calibrate stage before it");
                var watch = Stopwatch.StartNew();
                var (result, _, _, measured) = MixedPrecision.Quantize(run.Working, run.Context, request.Profile, calibration,
                    run.Samples.Take(request.MaxCalibrationSamples).ToList(), run.Progress);
                run.Sensitivity = measured;
                run.Quantized += result.Counters.GetValueOrDefault("nodes") + result.Counters.GetValueOrDefault("activations");
                run.Passes.Add(new PassReport(result, watch.Elapsed.TotalMilliseconds));
                break;
            }

            case var upgrade when upgrade.StartsWith("opset-upgrade:", StringComparison.Ordinal) && long.TryParse(upgrade.AsSpan("opset-upgrade:".Length), out var opset):
                if ((run.Working.GetOpsetVersion("") ?? 0) < opset)
                {
                    Pass(run, new OpsetUpgradePass(13));
                    Compressor.CheckUpgrade(run.Source, run.Working, run.Samples[0], run.Progress);
                }

                break;
            default:
                throw new DeepSeekException(DiagnosticIds.InternalError, run.Context.File, $"unknown recipe stage '{stage}' (known: {string.Join(", ", Names)})");
        }
    }

    private static void Pass(StageRun run, IGraphPass pass)
    {
        run.Progress?.Report($"pass {pass.Name}");
        var watch = Stopwatch.StartNew();
        var result = pass.Run(run.Context);
        run.Quantized += Quantizing.Contains(pass.Name) ? result.Counters.Where(c => c.Key is "nodes" or "tables" or "tensors").Sum(c => c.Value) : 0;
        run.Passes.Add(new PassReport(result, watch.Elapsed.TotalMilliseconds));
    }
}
