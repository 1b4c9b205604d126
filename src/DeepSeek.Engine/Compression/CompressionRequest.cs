using DeepSeek.Engine.Profiles;
using DeepSeek.Engine.Runtime;
using DeepSeek.Engine.Verification;

namespace DeepSeek.Engine.Compression;

/// <summary>What to compress, for which target, and how it is checked.</summary>
public sealed record CompressionRequest
{
    /// <summary>The source model (never modified).</summary>
    public required string Input { get; init; }

    /// <summary>Where the compressed model goes (written atomically, only after it passed verification).</summary>
    public required string Output { get; init; }

    /// <summary>The hardware target.</summary>
    public required HardwareProfile Profile { get; init; }

    /// <summary>The <c>Quantize</c> value: none, int8, int8-dynamic, int8-static, int4, fp16, auto (mixed is not available yet).</summary>
    public string Quantize { get; init; } = "auto";

    /// <summary>Sample inputs for calibration (static INT8) and verification.</summary>
    public string? CalibrationFolder { get; init; }

    /// <summary>How activation ranges are taken.</summary>
    public CalibrationMethod CalibrationMethod { get; init; } = CalibrationMethod.MinMax;

    /// <summary>At most this many calibration samples are used (the first ones, in name order).</summary>
    public int MaxCalibrationSamples { get; init; } = 256;

    /// <summary>INT4: values per block (16, 32, 64 or 128); null: <see cref="Passes.Int4BlockPass.DefaultBlockSize"/> for the model.</summary>
    public int? Int4BlockSize { get; init; }

    /// <summary>INT4: symmetric blocks (no zero points) instead of min/max blocks.</summary>
    public bool Int4Symmetric { get; init; }

    /// <summary>INT4: how blocks are rounded (GPTQ with calibration data by default).</summary>
    public Int4Method Int4Method { get; init; } = Int4Method.Auto;

    /// <summary>Pruning (<c>Prune</c>, <c>PruneMode</c>, <c>Sparsity</c>); null: none.</summary>
    public Pruning.PruneSettings? Prune { get; init; }

    /// <summary>The memory the engine may use (<see cref="MemoryBudget"/>); null: <see cref="MemoryBudget.FromMachine"/>.</summary>
    public long? MaxMemory { get; init; }

    /// <summary>The accuracy budget, read per output kind; <see cref="AccuracyBudget.Default"/> unless given; null only when the
    /// user opted out (<c>none</c>): measured and reported, never enforced.</summary>
    public AccuracyBudget? Budget { get; init; } = AccuracyBudget.Default;

    /// <summary>The kind of every floating-point output (<c>Task</c>, <c>--task</c>); null: inferred from the graph.</summary>
    public string? Task { get; init; }

    /// <summary>Kinds of single outputs by name (<c>--output-kind name=kind</c>), over <see cref="Task"/>.</summary>
    public IReadOnlyDictionary<string, string> OutputKinds { get; init; } = new Dictionary<string, string>(StringComparer.Ordinal);

    /// <summary>Sizes of symbolic input dimensions for the random samples made when no data folder is given (<c>--dim name=value</c>).</summary>
    public IReadOnlyDictionary<string, long> Dims { get; init; } = new Dictionary<string, long>(StringComparer.Ordinal);

    /// <summary>Where to write the report, if anywhere: HTML when the name ends in <c>.html</c> or <c>.htm</c>, else JSON.</summary>
    public string? ReportPath { get; init; }

    /// <summary>Where to write the HTML report, if anywhere (whatever the name; beside a JSON <see cref="ReportPath"/> in builds).</summary>
    public string? HtmlReportPath { get; init; }
}

/// <summary>How INT4 rounds its blocks.</summary>
public enum Int4Method
{
    /// <summary>GPTQ when calibration data is given, else round to nearest.</summary>
    Auto,

    /// <summary>Each block rounded to nearest (scale and zero point chosen by error).</summary>
    RoundToNearest,

    /// <summary>GPTQ: errors spread over the rows not yet quantized, weighed by the layer inputs on the calibration data.</summary>
    Gptq,
}

/// <summary>The <c>--int4-method</c> values.</summary>
public static class Int4Methods
{
    /// <summary>Parses auto, rtn or gptq.</summary>
    /// <exception cref="DeepSeek.Onnx.Diagnostics.DeepSeekException">DSB0065 for another value.</exception>
    public static Int4Method Parse(string value) => value.Trim().ToLowerInvariant() switch
    {
        "auto" => Int4Method.Auto,
        "rtn" => Int4Method.RoundToNearest,
        "gptq" => Int4Method.Gptq,
        _ => throw new DeepSeek.Onnx.Diagnostics.DeepSeekException(DeepSeek.Onnx.Diagnostics.DiagnosticIds.InvalidOption, "--int4-method",
            $"{DeepSeek.Onnx.Diagnostics.Names.Quote(value)} is not an INT4 method", "use auto, rtn or gptq"),
    };

    /// <summary>The value's name.</summary>
    public static string Name(Int4Method method) => method switch { Int4Method.RoundToNearest => "rtn", Int4Method.Gptq => "gptq", _ => "auto" };
}
