using System.Text.RegularExpressions;
using DeepSeek.Engine.Data;
using DeepSeek.Onnx.Diagnostics;
using Microsoft.ML.OnnxRuntime;

namespace DeepSeek.Engine.Runtime;

/// <summary>
/// One ONNX Runtime CPU session over a model file or bytes, with the session options the model needs. Failures become
/// DeepSeek diagnostics: an operator without a kernel is DSB0062 naming it, anything else DSB0066.
/// </summary>
public sealed partial class ModelSession : IDisposable
{
    private readonly InferenceSession session;

    private ModelSession(InferenceSession session) => this.session = session;

    /// <summary>The model's input names, in order.</summary>
    public IReadOnlyList<string> InputNames => session.InputNames;

    /// <summary>The model's output names, in order.</summary>
    public IReadOnlyList<string> OutputNames => session.OutputNames;

    /// <summary>Opens a session on a model file.</summary>
    public static ModelSession Open(string path, IReadOnlyDictionary<string, string>? sessionOptions = null, int threads = 0)
        => Create(options => new InferenceSession(path, options), path, sessionOptions, threads);

    /// <summary>
    /// Opens a session on a model held in memory. Its external data, if any, is read (mapped) from <paramref name="dataFolder"/>:
    /// a proto whose weights stay in their files, never their bytes in memory.
    /// </summary>
    public static ModelSession Open(byte[] model, string displayPath, IReadOnlyDictionary<string, string>? sessionOptions = null, int threads = 0, string? dataFolder = null)
    {
        if (dataFolder is not null)
        {
            sessionOptions = new Dictionary<string, string>(sessionOptions ?? new Dictionary<string, string>(), StringComparer.Ordinal)
            {
                [ExternalDataFolderKey] = dataFolder,
            };
        }

        return Create(options => new InferenceSession(model, options), displayPath, sessionOptions, threads);
    }

    /// <summary>The session option that tells ONNX Runtime where a model loaded from memory keeps its external data.</summary>
    public const string ExternalDataFolderKey = "session.model_external_initializers_file_folder_path";

    /// <summary>Runs one sample; returns every requested output (all outputs when <paramref name="outputs"/> is null).</summary>
    public Dictionary<string, TensorValue> Run(IReadOnlyDictionary<string, TensorValue> inputs, IReadOnlyList<string>? outputs = null, string? file = null)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        var names = new List<string>(inputs.Count);
        var values = new List<OrtValue>(inputs.Count);
        try
        {
            foreach (var (name, value) in inputs)
            {
                names.Add(name);
                values.Add(OrtValues.ToOrt(value));
            }

            var wanted = outputs ?? session.OutputNames;
            using var runOptions = new RunOptions();
            using var results = session.Run(runOptions, names, values, wanted);
            var map = new Dictionary<string, TensorValue>(StringComparer.Ordinal);
            for (var i = 0; i < wanted.Count; i++)
            {
                map[wanted[i]] = OrtValues.FromOrt(results[i]);
            }

            return map;
        }
        catch (OnnxRuntimeException e)
        {
            throw new DeepSeekException(DiagnosticIds.RuntimeFailed, file ?? "model", $"ONNX Runtime failed to run a sample: {FirstLine(e.Message)}");
        }
        finally
        {
            foreach (var value in values)
            {
                value.Dispose();
            }
        }
    }

    /// <inheritdoc />
    public void Dispose() => session.Dispose();

    private static ModelSession Create(Func<SessionOptions, InferenceSession> open, string file, IReadOnlyDictionary<string, string>? sessionOptions, int threads)
    {
        using var options = new SessionOptions
        {
            GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
            LogSeverityLevel = OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR,
        };
        if (threads > 0)
        {
            options.IntraOpNumThreads = threads;
            options.InterOpNumThreads = 1;
        }

        foreach (var (key, value) in sessionOptions ?? new Dictionary<string, string>())
        {
            options.AddSessionConfigEntry(key, value);
        }

        try
        {
            return new ModelSession(open(options));
        }
        catch (OnnxRuntimeException e)
        {
            var match = NoKernel().Match(e.Message);
            if (match.Success)
            {
                throw new DeepSeekException(DiagnosticIds.NoKernel, file,
                    $"ONNX Runtime's CPU provider has no kernel for {match.Groups["op"].Value} (node {Names.Quote(match.Groups["node"].Value)})");
            }

            throw new DeepSeekException(DiagnosticIds.RuntimeFailed, file, $"ONNX Runtime cannot load the model: {FirstLine(e.Message)}");
        }
    }

    private static string FirstLine(string message)
    {
        var line = message.Split('\n')[0].Trim();
        return line.Length > 300 ? line[..300] + "…" : line;
    }

    [GeneratedRegex(@"Could not find an implementation for (?<op>\S+?\(\d+\)) node with name '(?<node>[^']*)'")]
    private static partial Regex NoKernel();
}
