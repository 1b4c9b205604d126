using System.Runtime.InteropServices;
using DeepSeek.Engine.Data;
using DeepSeek.Engine.Runtime;
using DeepSeek.Onnx.Model;
using DeepSeek.Onnx.Protobuf;
using DeepSeek.Testing;

namespace DeepSeek.Engine.Tests.Passes;

/// <summary>
/// Shared steps of the pass characterization tests: save a built model, reload it, hand the pass a clone, read the emitted
/// graph and compare the two files in ONNX Runtime.
/// </summary>
internal static class PassHarness
{
    /// <summary>Saves <paramref name="builder"/>'s model as <c>source.onnx</c> and returns its path with a clone to transform.</summary>
    public static (string Source, OnnxModel Working) Load(ModelBuilder builder, TempDirectory temp)
    {
        var source = builder.Save(temp.File("source.onnx"));
        var model = DeepSeek.Onnx.IO.ModelReader.Read(source);
        return (source, new OnnxModel(model.Proto.Clone(), model.DisplayPath, model.BaseDirectory));
    }

    /// <summary>The op types of the graph's nodes, in graph order.</summary>
    public static string[] OpTypes(OnnxModel model) => model.Proto.Graph.Node.Select(n => n.OpType).ToArray();

    /// <summary>The initializer named <paramref name="name"/>.</summary>
    public static TensorProto Initializer(OnnxModel model, string name) => Assert.Single(model.Proto.Graph.Initializer, t => t.Name == name);

    /// <summary>A raw-data float tensor's values.</summary>
    public static float[] Floats(TensorProto tensor) => MemoryMarshal.Cast<byte, float>(tensor.RawData.Span).ToArray();

    /// <summary>A raw-data int8 tensor's values.</summary>
    public static sbyte[] Int8s(TensorProto tensor) => MemoryMarshal.Cast<byte, sbyte>(tensor.RawData.Span).ToArray();

    /// <summary>A raw-data int32 tensor's values.</summary>
    public static int[] Int32s(TensorProto tensor) => MemoryMarshal.Cast<byte, int>(tensor.RawData.Span).ToArray();

    /// <summary>A raw-data float16 tensor's values.</summary>
    public static Half[] Halves(TensorProto tensor) => MemoryMarshal.Cast<byte, Half>(tensor.RawData.Span).ToArray();

    /// <summary>An int64 initializer with raw data (shapes for Reshape...).</summary>
    public static TensorProto Int64s(string name, params long[] values)
    {
        var tensor = new TensorProto { Name = name, DataType = (int)TensorProto.Types.DataType.Int64, RawData = Google.Protobuf.ByteString.CopyFrom(MemoryMarshal.AsBytes(values.AsSpan())) };
        tensor.Dims.Add(values.Length);
        return tensor;
    }

    public static AttributeProto Ints(string name, params long[] values)
    {
        var attribute = new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Ints };
        attribute.Ints.AddRange(values);
        return attribute;
    }

    public static AttributeProto Int(string name, long value) => new() { Name = name, Type = AttributeProto.Types.AttributeType.Int, I = value };

    public static AttributeProto Float(string name, float value) => new() { Name = name, Type = AttributeProto.Types.AttributeType.Float, F = value };

    /// <summary>‖actual − expected‖ / ‖expected‖ of output <c>y</c> over one random input of <paramref name="shape"/> per seed
    /// (<see cref="RunBoth"/>): how far a transformation moved the model, on inputs no fit saw.</summary>
    public static double RelativeError(string source, OnnxModel working, TempDirectory temp, string input, long[] shape, IEnumerable<int> seeds)
    {
        double error = 0, norm = 0;
        foreach (var seed in seeds)
        {
            var (expected, actual) = RunBoth(source, working, temp, input, ModelBuilder.Random((int)shape.Aggregate(1L, (a, d) => a * d), seed: seed), shape);
            error += expected.Zip(actual, (e, a) => (double)(e - a) * (e - a)).Sum();
            norm += expected.Sum(e => (double)e * e);
        }

        return Math.Sqrt(error / norm);
    }

    /// <summary>Saves <paramref name="working"/> beside the source and runs both files on the same input (and a second float input
    /// <paramref name="extra"/>); returns (original, transformed) of output <paramref name="output"/>.</summary>
    public static (float[] Expected, float[] Actual) RunBoth(string source, OnnxModel working, TempDirectory temp, string input, float[] data, long[] shape, string output = "y",
        IReadOnlyDictionary<string, string>? sessionOptions = null, (string Name, float[] Data, long[] Shape)? extra = null)
    {
        var path = temp.File("transformed.onnx");
        working.Save(path);
        var inputs = new Dictionary<string, TensorValue> { [input] = TensorValue.Create(data, shape) };
        if (extra is { } e)
        {
            inputs[e.Name] = TensorValue.Create(e.Data, e.Shape);
        }

        using var original = ModelSession.Open(source, null);
        using var transformed = ModelSession.Open(path, sessionOptions);
        var expected = original.Run(inputs)[output].GetData<float>();
        var actual = transformed.Run(inputs)[output].GetData<float>();
        Assert.Equal(expected.Length, actual.Length);
        return (expected, actual);
    }

    /// <summary>max |actual − expected| / max |expected|: the error relative to the output's scale.</summary>
    public static double MaxRelativeError(float[] expected, float[] actual)
    {
        double worst = 0, scale = 0;
        for (var i = 0; i < expected.Length; i++)
        {
            worst = Math.Max(worst, Math.Abs((double)actual[i] - expected[i]));
            scale = Math.Max(scale, Math.Abs((double)expected[i]));
        }

        Assert.True(scale > 0, "the reference output is all zeros; the comparison would say nothing");
        return worst / scale;
    }
}
