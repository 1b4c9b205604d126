using System.Globalization;
using DeepSeek.Engine.Data;
using DeepSeek.Engine.Graph;
using DeepSeek.Onnx.Diagnostics;
using DeepSeek.Onnx.Model;
using DeepSeek.Onnx.Protobuf;

namespace DeepSeek.Engine.Verification;

/// <summary>
/// Made-up samples for a smoke comparison when no data folder is given (reports say the data was random). Reproducible
/// from the seed, different from each other, and plausible for the model (docs/recipes.md, "What verification compares"):
/// <list type="bullet">
/// <item>symbolic dimensions: batch-like names (holding <c>batch</c>, or <c>N</c>/<c>B</c>) alternate 1 and 2 from sample
/// to sample; sequence-like names (holding <c>seq</c>, <c>len</c>, <c>token</c> or <c>time</c>) 32; <c>height</c>/<c>width</c>
/// 224; any other symbol, or a dimension with neither size nor name, 8. <c>--dim name=value</c> overrides by symbol name;</item>
/// <item>inputs whose name holds <c>mask</c> are ones; integer inputs whose name holds <c>token_type</c> or <c>segment</c> are
/// zeros; other integer inputs read as indices by a <c>Gather</c> (token ids; through Cast/Reshape/Unsqueeze/Squeeze/Flatten/Identity)
/// are uniform in [0, rows of the table the Gather reads); any other integer or bool input is zeros (false);</item>
/// <item>float, float16 and double inputs are standard normal.</item>
/// </list>
/// </summary>
public static class RandomInputs
{
    /// <summary>The default size of a batch-like symbol alternates between 1 and this.</summary>
    public const int MaxBatch = 2;

    /// <summary>The default size of a sequence-like symbol.</summary>
    public const int Sequence = 32;

    /// <summary>The default size of <c>height</c>/<c>width</c> symbols.</summary>
    public const int Spatial = 224;

    /// <summary>The default size of any other symbolic or unknown dimension.</summary>
    public const int Other = 8;

    private static readonly string[] PassThrough = ["Cast", "Reshape", "Unsqueeze", "Squeeze", "Flatten", "Identity"];

    /// <summary><paramref name="count"/> samples for <paramref name="model"/>'s inputs, reproducible from <paramref name="seed"/>.</summary>
    /// <param name="model">The model (its graph says which inputs are token ids and how many rows their table has).</param>
    /// <param name="count">Samples to make.</param>
    /// <param name="seed">The random seed.</param>
    /// <param name="dims">Sizes for symbolic dimensions by symbol name, over the defaults.</param>
    /// <exception cref="DeepSeekException">DSB0065 for an input without a shape or of an element type no sample is made for,
    /// and for a <paramref name="dims"/> name that no input uses or a size under 1.</exception>
    public static List<IReadOnlyDictionary<string, TensorValue>> Create(OnnxModel model, int count, int seed, IReadOnlyDictionary<string, long>? dims = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        var inputs = model.Graph.Inputs;
        var file = model.DisplayPath;
        CheckDims(inputs, dims);
        var editor = new GraphEditor(model.Proto.Graph);
        var tableRows = inputs.ToDictionary(i => i.Name, i => IsSegment(i.Name) ? null : TableRows(editor, i.Name), StringComparer.Ordinal);
        var random = new Random(seed);
        var samples = new List<IReadOnlyDictionary<string, TensorValue>>(count);
        for (var s = 0; s < count; s++)
        {
            var sample = new Dictionary<string, TensorValue>(StringComparer.Ordinal);
            foreach (var input in inputs)
            {
                if (input.Shape is null)
                {
                    throw new DeepSeekException(DiagnosticIds.InvalidOption, file, $"input {Names.Quote(input.Name)} declares no shape, so no sample can be made up for it",
                        "pass a data folder (--calibration) with real inputs");
                }

                var shape = input.Shape.Select(d => d.Value ?? Size(d.Symbol, s, dims)).ToArray();
                var length = checked((int)shape.Aggregate(1L, (a, d) => a * d));
                var mask = input.Name.Contains("mask", StringComparison.OrdinalIgnoreCase);
                var rows = tableRows[input.Name];
                sample[input.Name] = (TensorProto.Types.DataType)input.ElementType switch
                {
                    TensorProto.Types.DataType.Float => new TensorValue(input.ElementType, shape, mask ? Filled(length, 1f) : Normal(random, length)),
                    TensorProto.Types.DataType.Float16 => new TensorValue(input.ElementType, shape, Array.ConvertAll(mask ? Filled(length, 1f) : Normal(random, length), v => (Half)v)),
                    TensorProto.Types.DataType.Double => new TensorValue(input.ElementType, shape, Array.ConvertAll(mask ? Filled(length, 1f) : Normal(random, length), v => (double)v)),
                    TensorProto.Types.DataType.Int64 => new TensorValue(input.ElementType, shape, Integers(random, length, mask, rows)),
                    TensorProto.Types.DataType.Int32 => new TensorValue(input.ElementType, shape, Array.ConvertAll(Integers(random, length, mask, rows), v => (int)v)),
                    TensorProto.Types.DataType.Bool => new TensorValue(input.ElementType, shape, Filled(length, mask)),
                    _ => throw new DeepSeekException(DiagnosticIds.InvalidOption, file,
                        $"input {Names.Quote(input.Name)} is {DataTypes.Name(input.ElementType)}, for which no random sample is made", "pass a data folder with real inputs"),
                };
            }

            samples.Add(sample);
        }

        return samples;
    }

    /// <summary>The size a symbolic dimension gets in sample <paramref name="sample"/> (see the class summary).</summary>
    public static long Size(string? symbol, int sample, IReadOnlyDictionary<string, long>? dims = null)
    {
        if (symbol is not null && dims is not null && dims.TryGetValue(symbol, out var given))
        {
            return given;
        }

        var name = symbol ?? "";
        bool Has(string part) => name.Contains(part, StringComparison.OrdinalIgnoreCase);
        return name is "N" or "B" || Has("batch") ? 1 + (sample % MaxBatch)
            : Has("seq") || Has("len") || Has("token") || Has("time") ? Sequence
            : Has("height") || Has("width") ? Spatial
            : Other;
    }

    /// <summary>Parses <c>name=value</c> (a <c>--dim</c>) into <paramref name="dims"/>.</summary>
    /// <exception cref="DeepSeekException">DSB0065 when it is not a name, <c>=</c> and a whole number from 1.</exception>
    public static void ParseDim(string text, IDictionary<string, long> dims)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(dims);
        var cut = text.IndexOf('=', StringComparison.Ordinal);
        if (cut <= 0 || !long.TryParse(text.AsSpan(cut + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var value) || value < 1 || value > 1_000_000)
        {
            throw new DeepSeekException(DiagnosticIds.InvalidOption, "--dim", $"{Names.Quote(text)} is not a dimension size", "write name=size, for example sequence_length=16");
        }

        dims[text[..cut].Trim()] = value;
    }

    private static bool IsSegment(string name)
        => name.Contains("token_type", StringComparison.OrdinalIgnoreCase) || name.Contains("segment", StringComparison.OrdinalIgnoreCase);

    private static void CheckDims(IReadOnlyList<ValueInfo> inputs, IReadOnlyDictionary<string, long>? dims)
    {
        var symbols = inputs.Where(i => i.Shape is not null).SelectMany(i => i.Shape!).Select(d => d.Symbol).OfType<string>().ToHashSet(StringComparer.Ordinal);
        foreach (var name in dims?.Keys ?? [])
        {
            if (!symbols.Contains(name))
            {
                throw new DeepSeekException(DiagnosticIds.InvalidOption, "--dim", $"no input of the model has a symbolic dimension {Names.Quote(name)}",
                    symbols.Count == 0 ? "the model's inputs have fixed sizes; leave --dim out" : "use one of: " + string.Join(", ", symbols.Order(StringComparer.Ordinal)));
            }
        }
    }

    /// <summary>The rows of the table a Gather reads with <paramref name="input"/> as its indices, or null.</summary>
    internal static long? TableRows(GraphEditor editor, string input)
    {
        var pending = new Queue<string>([input]);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        while (pending.TryDequeue(out var value))
        {
            if (!seen.Add(value))
            {
                continue;
            }

            foreach (var node in editor.Consumers(value))
            {
                if (node.OpType == "Gather" && node.Input.Count > 1 && node.Input[1] == value && editor.ConstantTensor(node.Input[0]) is { } table)
                {
                    var axis = node.Attribute.FirstOrDefault(a => a.Name == "axis")?.I ?? 0;
                    axis = axis < 0 ? axis + table.Dims.Count : axis;
                    if (axis >= 0 && axis < table.Dims.Count && table.Dims[(int)axis] > 0)
                    {
                        return table.Dims[(int)axis];
                    }
                }
                else if (PassThrough.Contains(node.OpType) && node.Input.Count > 0 && node.Input[0] == value)
                {
                    pending.Enqueue(node.Output[0]);
                }
            }
        }

        return null;
    }

    private static long[] Integers(Random random, int length, bool mask, long? rows)
    {
        var values = new long[length];
        if (mask)
        {
            Array.Fill(values, 1L);
        }
        else if (rows is { } n)
        {
            for (var i = 0; i < length; i++)
            {
                values[i] = random.NextInt64(n);
            }
        }

        return values;
    }

    private static T[] Filled<T>(int length, T value)
    {
        var values = new T[length];
        Array.Fill(values, value);
        return values;
    }

    private static float[] Normal(Random random, int length)
    {
        var values = new float[length];
        for (var i = 0; i < length; i++)
        {
            var u = 1 - random.NextDouble();
            var v = random.NextDouble();
            values[i] = (float)(Math.Sqrt(-2 * Math.Log(u)) * Math.Cos(2 * Math.PI * v));
        }

        return values;
    }
}
