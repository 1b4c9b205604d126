using DeepSeek.Onnx.Model;

namespace DeepSeek.Engine.Passes;

/// <summary>What a pass works on: the model (edited in place) and the session options the result will need at run time.</summary>
public sealed class PassContext
{
    /// <summary>Creates a context for <paramref name="model"/>.</summary>
    public PassContext(OnnxModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        Model = model;
    }

    /// <summary>The model being transformed (in place).</summary>
    public OnnxModel Model { get; }

    /// <summary>The file name for messages.</summary>
    public string File => Model.DisplayPath;

    /// <summary>Session options (ONNX Runtime config keys) that the compressed model needs to run correctly.</summary>
    public IDictionary<string, string> RequiredSessionOptions { get; } = new SortedDictionary<string, string>(StringComparer.Ordinal);

    /// <summary>Progress and notes, for the log (never null; ignore it if you don't need it).</summary>
    public IProgress<string> Log { get; init; } = new Progress<string>();

    /// <summary>Cancels the pass between tensors (Ctrl+C): the compressor then removes everything it wrote.</summary>
    public CancellationToken Cancellation { get; init; }

    /// <summary>Before each weight a pass rewrites: stops on cancellation, then reports <c>pass i/n: tensor</c>.</summary>
    public void Step(string pass, int index, int count, string tensor)
    {
        Cancellation.ThrowIfCancellationRequested();
        Log.Report($"{pass} {index + 1}/{count}: {tensor}");
    }
}
