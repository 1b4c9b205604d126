using Microsoft.ML.OnnxRuntime;

namespace DeepSeek.Testing;

/// <summary>ONNX Runtime as the oracle: runs a model file on float inputs and returns every output as floats.</summary>
public static class Ort
{
    /// <summary>Runs <paramref name="modelPath"/> once; inputs by name with their shapes; outputs in model order.</summary>
    public static IReadOnlyList<float[]> Run(string modelPath, IReadOnlyDictionary<string, (float[] Data, long[] Shape)> inputs)
    {
        using var options = new SessionOptions { IntraOpNumThreads = 1, InterOpNumThreads = 1, GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL };
        using var session = new InferenceSession(modelPath, options);
        var names = new List<string>();
        var values = new List<OrtValue>();
        try
        {
            foreach (var (name, (data, shape)) in inputs)
            {
                names.Add(name);
                values.Add(OrtValue.CreateTensorValueFromMemory(data, shape));
            }

            using var runOptions = new RunOptions();
            var outputNames = session.OutputNames.ToArray();
            using var results = session.Run(runOptions, names, values, outputNames);
            return results.Select(r => r.GetTensorDataAsSpan<float>().ToArray()).ToArray();
        }
        finally
        {
            foreach (var value in values)
            {
                value.Dispose();
            }
        }
    }

    /// <summary>Runs a single-input model.</summary>
    public static IReadOnlyList<float[]> Run(string modelPath, string input, float[] data, long[] shape)
        => Run(modelPath, new Dictionary<string, (float[], long[])> { [input] = (data, shape) });
}
