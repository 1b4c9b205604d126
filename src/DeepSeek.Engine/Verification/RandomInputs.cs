using DeepSeek.Engine.Data;
using DeepSeek.Onnx.Diagnostics;
using DeepSeek.Onnx.Model;
using DeepSeek.Onnx.Protobuf;

namespace DeepSeek.Engine.Verification;

/// <summary>
/// Inputs drawn at random from the model's declared inputs (symbolic dims taken as 1), for a smoke comparison when no
/// data folder is given. Float inputs are standard normal; integer inputs are zero. Reports say the data was random.
/// </summary>
public static class RandomInputs
{
    /// <summary><paramref name="count"/> samples, reproducible from <paramref name="seed"/>.</summary>
    public static List<IReadOnlyDictionary<string, TensorValue>> Create(IReadOnlyList<ValueInfo> inputs, int count, int seed, string file)
    {
        ArgumentNullException.ThrowIfNull(inputs);
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

                var shape = input.Shape.Select(d => d.Value ?? 1).ToArray();
                var length = checked((int)shape.Aggregate(1L, (a, d) => a * d));
                sample[input.Name] = input.ElementType switch
                {
                    (int)TensorProto.Types.DataType.Float => new TensorValue(input.ElementType, shape, Normal(random, length)),
                    (int)TensorProto.Types.DataType.Int64 => new TensorValue(input.ElementType, shape, new long[length]),
                    (int)TensorProto.Types.DataType.Int32 => new TensorValue(input.ElementType, shape, new int[length]),
                    (int)TensorProto.Types.DataType.Bool => new TensorValue(input.ElementType, shape, new bool[length]),
                    _ => throw new DeepSeekException(DiagnosticIds.InvalidOption, file,
                        $"input {Names.Quote(input.Name)} is {DataTypes.Name(input.ElementType)}, for which no random sample is made", "pass a data folder with real inputs"),
                };
            }

            samples.Add(sample);
        }

        return samples;
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
