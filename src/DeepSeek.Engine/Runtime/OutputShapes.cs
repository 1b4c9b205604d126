using DeepSeek.Engine.Data;
using DeepSeek.Onnx;
using DeepSeek.Onnx.Diagnostics;
using DeepSeek.Onnx.Model;
using DeepSeek.Onnx.Protobuf;

namespace DeepSeek.Engine.Runtime;

/// <summary>The model's outputs with each dimension in terms of the input symbols, and how that was found.</summary>
/// <param name="Outputs">Per output, in model order: a number (fixed), an input symbol's name, or a symbol of its own that
/// nothing resolved (a parameter of the wrapper, as before); null where the rank is unknown.</param>
/// <param name="Probed">Whether ONNX Runtime confirmed the dims (otherwise they are the model's declarations).</param>
/// <param name="Note">What was run, or why nothing was.</param>
public sealed record ResolvedOutputShapes(IReadOnlyList<IReadOnlyList<Dimension>?> Outputs, bool Probed, string Note);

/// <summary>
/// Resolves each output dimension as a constant or one input symbol. What the model declares is the starting point (a fixed
/// dim, or a symbol an input also carries: ONNX names one dim with one symbol); then the model runs in ONNX Runtime once at
/// base sizes, once more per input symbol with only that symbol changed, and once at base sizes with other input values. A
/// dim is claimed constant only when every run gave the same size, and equal to an input symbol only when it followed that
/// symbol in every run (the base sizes are distinct, so no two symbols can both match); anything else, including a dim that
/// moved with the input values, stays a symbol of its own. Nothing is claimed when a run fails.
/// </summary>
public static class OutputShapes
{
    /// <summary>Inputs larger than this (elements, at the largest probe size) are not probed.</summary>
    public const long MaxProbeElements = 1L << 24;

    /// <summary>Resolves the outputs of <paramref name="model"/>, running its file (<see cref="OnnxModel.SourcePath"/>) when <paramref name="probe"/>.</summary>
    public static ResolvedOutputShapes Resolve(OnnxModel model, bool probe = true)
    {
        ArgumentNullException.ThrowIfNull(model);
        var inputs = model.Graph.Inputs;
        var outputs = model.Graph.Outputs;
        var declared = outputs.Select(o => o.Shape).ToArray();
        if (!probe || model.SourcePath is null)
        {
            return new ResolvedOutputShapes(declared, false, probe ? "declared (the model is not in a file)" : "declared (not probed)");
        }

        var symbols = new List<string>();
        foreach (var input in inputs)
        {
            if (input.Shape is null || input.Shape.Any(d => d.Value is null && d.Symbol is null))
            {
                return new ResolvedOutputShapes(declared, false, $"declared (input {Names.Quote(input.Name)} has a dimension without a name)");
            }

            if (!Fillable(input.ElementType))
            {
                return new ResolvedOutputShapes(declared, false, $"declared (input {Names.Quote(input.Name)} is {input.ElementTypeName}, which the probe does not fill)");
            }

            symbols.AddRange(input.Shape.Where(d => d.Value is null).Select(d => d.Symbol!).Where(s => !symbols.Contains(s)));
        }

        // Base sizes 2, 3, 4...; each symbol's second size (17, 18...) is above every base size, so sizes within one run are
        // distinct, and far enough from it that a dim such as ceil(sequence / 8) does not pass for a constant.
        var baseSizes = symbols.Select((s, i) => (long)(i + 2)).ToArray();
        var second = Math.Max(17, symbols.Count + 2);
        var runs = new List<(long[] Sizes, int Data)> { (baseSizes, 0) };
        for (var i = 0; i < symbols.Count; i++)
        {
            var sizes = (long[])baseSizes.Clone();
            sizes[i] = second + i;
            runs.Add((sizes, 0));
        }

        runs.Add((baseSizes, 1));
        var largest = inputs.Select(input => input.Shape!.Aggregate(1L, (a, d) => a * (d.Value ?? (second + symbols.Count)))).DefaultIfEmpty(0).Max();
        if (largest > MaxProbeElements)
        {
            return new ResolvedOutputShapes(declared, false, $"declared (an input has {largest} elements at the probe's sizes)");
        }

        var observed = new List<IReadOnlyList<long>[]>();
        try
        {
            using var session = ModelSession.Open(model.SourcePath, threads: 1);
            foreach (var (sizes, data) in runs)
            {
                var feed = inputs.ToDictionary(input => input.Name, input => Fill(input, symbols, sizes, data), StringComparer.Ordinal);
                var results = session.Run(feed, outputs.Select(o => o.Name).ToArray(), model.SourcePath);
                observed.Add(outputs.Select(o => results[o.Name].Shape).ToArray());
            }
        }
        catch (Exception e) when (e is DeepSeekException or NotSupportedException or InvalidOperationException)
        {
            return new ResolvedOutputShapes(declared, false, "declared (the probe run failed: " + e.Message + ")");
        }

        var resolved = new IReadOnlyList<Dimension>?[outputs.Count];
        for (var o = 0; o < outputs.Count; o++)
        {
            var rank = observed[0][o].Count;
            if (observed.Any(run => run[o].Count != rank) || (declared[o] is { } shape && shape.Count != rank))
            {
                resolved[o] = declared[o];
                continue;
            }

            var dims = new Dimension[rank];
            for (var d = 0; d < rank; d++)
            {
                dims[d] = Fit(observed.Select(run => run[o][d]).ToArray(), runs, symbols) ?? Unresolved(outputs[o], d, declared[o], symbols);
            }

            resolved[o] = dims;
        }

        var sizesText = string.Join(", ", symbols.Select((s, i) => $"{s} {baseSizes[i]}/{runs[i + 1].Sizes[i]}"));
        return new ResolvedOutputShapes(resolved, true,
            $"probed in ONNX Runtime: {runs.Count} runs{(symbols.Count > 0 ? " (" + sizesText + ")" : "")}, the last with other input values");
    }

    /// <summary>A constant, or the one symbol every run followed; null when neither fits.</summary>
    private static Dimension? Fit(long[] sizes, List<(long[] Sizes, int Data)> runs, List<string> symbols)
    {
        if (sizes.All(s => s == sizes[0]))
        {
            return new Dimension(sizes[0], null);
        }

        for (var i = 0; i < symbols.Count; i++)
        {
            if (sizes.Select((s, r) => s == runs[r].Sizes[i]).All(match => match))
            {
                return new Dimension(null, symbols[i]);
            }
        }

        return null;
    }

    /// <summary>The declared symbol, unless it names an input's symbol (which the runs just contradicted): then one of its own.</summary>
    private static Dimension Unresolved(ValueInfo output, int index, IReadOnlyList<Dimension>? declared, List<string> symbols)
    {
        var symbol = declared?[index].Symbol;
        return symbol is not null && !symbols.Contains(symbol) ? new Dimension(null, symbol) : new Dimension(null, $"{output.Name}_dim_{index}");
    }

    private static bool Fillable(int elementType) => (TensorProto.Types.DataType)elementType is TensorProto.Types.DataType.Float
        or TensorProto.Types.DataType.Double or TensorProto.Types.DataType.Int64 or TensorProto.Types.DataType.Int32 or TensorProto.Types.DataType.Bool;

    /// <summary>
    /// Valid inputs for any model we know of: floats from a fixed pseudo-random sequence; integers 1 for masks, 0 for token
    /// types, segments and positions, otherwise small ids (1, or 2 in the run with other values); booleans true.
    /// </summary>
    private static TensorValue Fill(ValueInfo input, List<string> symbols, long[] sizes, int data)
    {
        var shape = input.Shape!.Select(d => d.Value ?? sizes[symbols.IndexOf(d.Symbol!)]).ToArray();
        var length = checked((int)shape.Aggregate(1L, (a, d) => a * d));
        var name = input.Name.ToLowerInvariant();
        long integer = name.Contains("mask", StringComparison.Ordinal) ? 1
            : name.Contains("type", StringComparison.Ordinal) || name.Contains("segment", StringComparison.Ordinal) || name.Contains("position", StringComparison.Ordinal) ? 0
            : data + 1;
        var random = new Random(17 + data);
        return (TensorProto.Types.DataType)input.ElementType switch
        {
            TensorProto.Types.DataType.Float => new TensorValue(input.ElementType, shape, Enumerable.Range(0, length).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray()),
            TensorProto.Types.DataType.Double => new TensorValue(input.ElementType, shape, Enumerable.Range(0, length).Select(_ => random.NextDouble() * 2 - 1).ToArray()),
            TensorProto.Types.DataType.Int64 => new TensorValue(input.ElementType, shape, Enumerable.Repeat(integer, length).ToArray()),
            TensorProto.Types.DataType.Int32 => new TensorValue(input.ElementType, shape, Enumerable.Repeat((int)integer, length).ToArray()),
            _ => new TensorValue(input.ElementType, shape, Enumerable.Repeat(true, length).ToArray()),
        };
    }
}
