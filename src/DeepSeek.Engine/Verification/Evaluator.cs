using DeepSeek.Engine.Data;
using DeepSeek.Engine.Runtime;
using DeepSeek.Onnx.Diagnostics;
using DeepSeek.Onnx.Protobuf;

namespace DeepSeek.Engine.Verification;

/// <summary>
/// Runs the original and the compressed model on the same samples and measures how far apart their outputs are. Every
/// output is compared, whatever its element type: float, float16, bfloat16 and double as numbers (cosine, errors, top-1),
/// integer and bool outputs also element by element (the share of equal elements, which a budget wants at 100 %).
/// A comparison that compares nothing (DSB0069) or a non-finite output of the original (DSB0058) fails: such evidence
/// says nothing about the compressed model. Non-finite inputs (DSB0057) are refused once, where the data is loaded
/// (<see cref="CheckInputsFinite"/>), not again on each of the comparisons a mixed-precision search makes.
/// </summary>
public static class Evaluator
{
    /// <summary>What reports say when the evidence is random inputs (<c>deepseek compress</c> prints it after <c>evidence: </c>).</summary>
    public const string RandomEvidence =
        "random inputs (no data given), not real samples: these figures say little about accuracy on real inputs; add a Calibration folder of real samples (--calibration DIR)";

    /// <summary>Compares every output over <paramref name="samples"/>; labels (one per row) give accuracies.</summary>
    /// <param name="original">The reference model.</param>
    /// <param name="compressed">The model under test.</param>
    /// <param name="samples">The inputs, one dictionary per sample.</param>
    /// <param name="labels">One label per row of the first output, or null.</param>
    /// <param name="dataSource">Where the samples come from (a folder, or <c>random</c>).</param>
    /// <param name="file">The file named in diagnostics.</param>
    /// <param name="progress">Progress lines.</param>
    /// <param name="sampleNames">A name per sample for diagnostics (a data folder's <see cref="DataSample.Source"/>); else the sample's index.</param>
    /// <param name="kinds">Each output's kind (<see cref="OutputKindInference.Resolve"/>); an output missing here is <see cref="OutputKind.Other"/>.
    /// Labels are read against the first classification output, or the first output when none is.</param>
    public static EvaluationResult Compare(ModelSession original, ModelSession compressed, IReadOnlyList<IReadOnlyDictionary<string, TensorValue>> samples,
        IReadOnlyList<long>? labels, string dataSource, string file, IProgress<string>? progress = null, IReadOnlyList<string>? sampleNames = null,
        IReadOnlyDictionary<string, OutputKindChoice>? kinds = null)
    {
        ArgumentNullException.ThrowIfNull(original);
        ArgumentNullException.ThrowIfNull(compressed);
        ArgumentNullException.ThrowIfNull(samples);
        var names = original.OutputNames;
        return Compare(names, s => original.Run(samples[s], null, file), s => compressed.Run(samples[s], names, file), samples, labels, dataSource, file, progress, sampleNames, kinds);
    }

    /// <summary>
    /// Compares outputs computed elsewhere: <paramref name="original"/> and <paramref name="compressed"/> give sample <c>s</c>'s
    /// outputs (each model run on its own, one after the other, or block by block: <see cref="BlockRunner"/>).
    /// </summary>
    public static EvaluationResult Compare(IReadOnlyList<string> names, Func<int, IReadOnlyDictionary<string, TensorValue>> original,
        Func<int, IReadOnlyDictionary<string, TensorValue>> compressed, IReadOnlyList<IReadOnlyDictionary<string, TensorValue>> samples,
        IReadOnlyList<long>? labels, string dataSource, string file, IProgress<string>? progress = null, IReadOnlyList<string>? sampleNames = null,
        IReadOnlyDictionary<string, OutputKindChoice>? kinds = null)
    {
        ArgumentNullException.ThrowIfNull(names);
        ArgumentNullException.ThrowIfNull(original);
        ArgumentNullException.ThrowIfNull(compressed);
        ArgumentNullException.ThrowIfNull(samples);
        OutputKindChoice KindOf(string name) => kinds?.GetValueOrDefault(name) ?? new OutputKindChoice(OutputKind.Other, "not inferred");
        var accumulators = names.ToDictionary(n => n, _ => new Accumulator(), StringComparer.Ordinal);
        var kindAccumulators = names.ToDictionary(n => n, n => new KindAccumulator(KindOf(n).Kind), StringComparer.Ordinal);
        var labelledOutput = Math.Max(0, names.ToList().FindIndex(n => KindOf(n).Kind == OutputKind.Classification));
        var skipped = new Dictionary<string, string>(StringComparer.Ordinal);
        long correctOriginal = 0, correctCompressed = 0, labelledRows = 0;
        var rowIndex = 0;
        for (var s = 0; s < samples.Count; s++)
        {
            progress?.Report($"evaluating {s + 1}/{samples.Count}");
            var a = original(s);
            var b = compressed(s);
            var mask = Mask(samples[s]);
            var firstRows = 0;
            for (var o = 0; o < names.Count; o++)
            {
                var name = names[o];
                var x = ToDoubles(a[name]);
                var y = ToDoubles(b[name]);
                if (FirstNonFinite(x) is { } bad)
                {
                    throw new DeepSeekException(DiagnosticIds.NonFiniteOriginalOutput, dataSource,
                        $"on sample {SampleName(sampleNames, s)} the original model's output {Names.Quote(name)} holds {Format(x[bad])} (element {bad})");
                }

                if (x.Length != y.Length)
                {
                    skipped[name] = $"{a[name]} in the original, {b[name]} in the compressed model";
                    continue;
                }

                var exact = IsExact(a[name].ElementType);
                var rows = Rows(a[name].Shape, x.Length);
                var width = rows == 0 ? 0 : x.Length / rows;
                for (var r = 0; r < rows; r++)
                {
                    var (argA, argB) = accumulators[name].Add(x.AsSpan(r * width, width), y.AsSpan(r * width, width), exact, a[name].ElementTypeName);
                    if (o == labelledOutput && labels is not null && rowIndex + r < labels.Count)
                    {
                        labelledRows++;
                        correctOriginal += argA == labels[rowIndex + r] ? 1 : 0;
                        correctCompressed += argB == labels[rowIndex + r] ? 1 : 0;
                    }
                }

                kindAccumulators[name].Add(x, y, a[name].Shape, mask);
                if (o == labelledOutput)
                {
                    firstRows = rows;
                }
            }

            rowIndex += Math.Max(1, firstRows);
        }

        var metrics = names.Where(n => accumulators[n].Rows > 0 && !skipped.ContainsKey(n))
            .Select(n => kindAccumulators[n].Complete(accumulators[n].Result(n) with { Kind = KindOf(n).Kind, KindSource = KindOf(n).Source })).ToArray();
        if (metrics.Length == 0)
        {
            var why = samples.Count == 0 ? "there were no samples"
                : skipped.Count > 0 ? "no output had the same number of elements in both models: " + string.Join("; ", skipped.Select(p => $"{Names.Quote(p.Key)} is {p.Value}"))
                : "every output was empty";
            throw new DeepSeekException(DiagnosticIds.NothingCompared, file, $"the verification compared no output ({why})");
        }

        return new EvaluationResult(samples.Count, rowIndex, dataSource, metrics,
            labelledRows > 0 ? (double)correctOriginal / labelledRows : null,
            labelledRows > 0 ? (double)correctCompressed / labelledRows : null)
        {
            LabelledOutput = labelledRows > 0 ? names[labelledOutput] : null,
        };
    }

    /// <summary>DSB0057 when an input of a sample holds NaN or infinity, naming the sample and the input.</summary>
    public static void CheckInputsFinite(IReadOnlyList<IReadOnlyDictionary<string, TensorValue>> samples, string dataSource, IReadOnlyList<string>? sampleNames = null)
    {
        ArgumentNullException.ThrowIfNull(samples);
        for (var s = 0; s < samples.Count; s++)
        {
            foreach (var (name, value) in samples[s])
            {
                if (IsExact(value.ElementType))
                {
                    continue;
                }

                var values = ToDoubles(value);
                if (FirstNonFinite(values) is { } bad)
                {
                    throw new DeepSeekException(DiagnosticIds.NonFiniteInput, dataSource,
                        $"sample {SampleName(sampleNames, s)} holds {Format(values[bad])} in input {Names.Quote(name)} (element {bad})");
                }
            }
        }
    }

    /// <summary>The elements of any tensor value as doubles (bool: 0 and 1).</summary>
    internal static double[] ToDoubles(TensorValue value) => (TensorProto.Types.DataType)value.ElementType switch
    {
        TensorProto.Types.DataType.Double => (double[])value.Data,
        TensorProto.Types.DataType.Float => Array.ConvertAll((float[])value.Data, v => (double)v),
        TensorProto.Types.DataType.Float16 => Array.ConvertAll((Half[])value.Data, v => (double)v),
        TensorProto.Types.DataType.Int64 => Array.ConvertAll((long[])value.Data, v => (double)v),
        TensorProto.Types.DataType.Uint64 => Array.ConvertAll((ulong[])value.Data, v => (double)v),
        _ => Array.ConvertAll(value.ToFloatArray(), v => (double)v), // 8, 16 and 32-bit integers and bool: exact in float
    };

    /// <summary>Whether outputs of this element type must agree element for element (integers and bool).</summary>
    internal static bool IsExact(int elementType) => (TensorProto.Types.DataType)elementType is not
        (TensorProto.Types.DataType.Float or TensorProto.Types.DataType.Float16 or TensorProto.Types.DataType.Double or TensorProto.Types.DataType.Bfloat16);

    private static int? FirstNonFinite(double[] values)
    {
        for (var i = 0; i < values.Length; i++)
        {
            if (!double.IsFinite(values[i]))
            {
                return i;
            }
        }

        return null;
    }

    private static string Format(double value) => double.IsNaN(value) ? "NaN" : value > 0 ? "+infinity" : "-infinity";

    private static string SampleName(IReadOnlyList<string>? names, int index)
        => names is not null && index < names.Count && names[index].Length > 0 ? Names.Quote(names[index]) : $"#{index}";

    /// <summary>The sample's attention mask as doubles: the input whose name holds <c>mask</c>, or null.</summary>
    private static double[]? Mask(IReadOnlyDictionary<string, TensorValue> sample)
        => sample.FirstOrDefault(p => p.Key.Contains("mask", StringComparison.OrdinalIgnoreCase)).Value is { } mask ? ToDoubles(mask) : null;

    internal static int Rows(IReadOnlyList<long> shape, int length)
        => length == 0 ? 0 : shape.Count >= 2 && shape[0] > 1 && length % shape[0] == 0 ? (int)shape[0] : 1;

    private sealed class Accumulator
    {
        private double cosineSum;
        private double minCosine = 1;
        private double maxAbs;
        private double maxRel;
        private int agree;
        private long equal;
        private long elements;
        private bool exact;
        private string elementType = "";

        public int Rows { get; private set; }

        public (int ArgA, int ArgB) Add(ReadOnlySpan<double> a, ReadOnlySpan<double> b, bool exactType, string typeName)
        {
            exact = exactType;
            elementType = typeName;
            double dot = 0, na = 0, nb = 0, peak = 0, worst = 0;
            var nanB = false; // a row where the compressed model gives NaN never agrees
            int argA = 0, argB = 0;
            for (var i = 0; i < a.Length; i++)
            {
                dot += a[i] * b[i];
                na += a[i] * a[i];
                nb += b[i] * b[i];
                peak = Math.Max(peak, Math.Abs(a[i]));
                worst = Math.Max(worst, Math.Abs(a[i] - b[i])); // Math.Max keeps a NaN: a NaN of the compressed model shows
                equal += a[i] == b[i] ? 1 : 0;
                if (a[i] > a[argA])
                {
                    argA = i;
                }

                if (b[i] > b[argB])
                {
                    argB = i;
                }

                nanB |= double.IsNaN(b[i]);
            }

            elements += a.Length;
            var cosine = KindMetrics.Cosine(dot, na, nb);
            cosineSum += cosine;
            minCosine = Math.Min(minCosine, cosine);
            maxAbs = Math.Max(maxAbs, worst);
            maxRel = Math.Max(maxRel, peak > 0 ? worst / peak : worst);
            agree += argA == argB && !nanB ? 1 : 0;
            Rows++;
            return (argA, argB);
        }

        public OutputMetrics Result(string name) => new(name, cosineSum / Rows, minCosine, maxAbs, maxRel, (double)agree / Rows)
        {
            ElementType = elementType,
            ExactAgreement = exact ? (double)equal / Math.Max(1, elements) : null,
        };
    }
}
