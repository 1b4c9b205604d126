using System.Text.Json;
using Microsoft.ML.OnnxRuntime;

namespace DeepSeek.Runtime;

/// <summary>
/// A model as DeepSeek.Build ships it: the compressed <c>.onnx</c> and, beside it, its manifest (<c>.onnx.model.json</c>),
/// which names the profile, the recipe and the ONNX Runtime session options the model needs to run correctly
/// (for example <c>session.x64quantprecision</c>).
/// </summary>
public sealed class ShippedModel
{
    private ShippedModel(string path, string profile, string recipe, IReadOnlyDictionary<string, string> sessionOptions)
    {
        Path = path;
        Profile = profile;
        Recipe = recipe;
        SessionOptions = sessionOptions;
    }

    /// <summary>The model file.</summary>
    public string Path { get; }

    /// <summary>The hardware profile it was compressed for.</summary>
    public string Profile { get; }

    /// <summary>The recipe the build applied.</summary>
    public string Recipe { get; }

    /// <summary>Session config entries the model needs.</summary>
    public IReadOnlyDictionary<string, string> SessionOptions { get; }

    /// <summary>
    /// Opens the model at <paramref name="relativePath"/> (relative to the app's base directory unless rooted) with its manifest.
    /// </summary>
    /// <exception cref="FileNotFoundException">When the model or its manifest is missing.</exception>
    public static ShippedModel Open(string relativePath)
    {
        ArgumentNullException.ThrowIfNull(relativePath);
        var path = System.IO.Path.IsPathRooted(relativePath) ? relativePath : System.IO.Path.Combine(AppContext.BaseDirectory, relativePath);
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"The model '{path}' is not there; is it declared as a DeepSeekModel with this path?", path);
        }

        var manifestPath = path + ".model.json";
        if (!File.Exists(manifestPath))
        {
            throw new FileNotFoundException($"The manifest '{manifestPath}' is missing; DeepSeek.Build writes it beside every model it ships.", manifestPath);
        }

        using var stream = File.OpenRead(manifestPath);
        using var manifest = JsonDocument.Parse(stream);
        var root = manifest.RootElement;
        var options = new Dictionary<string, string>(StringComparer.Ordinal);
        if (root.TryGetProperty("sessionOptions", out var entries))
        {
            foreach (var entry in entries.EnumerateObject())
            {
                options[entry.Name] = entry.Value.GetString() ?? "";
            }
        }

        return new ShippedModel(path, root.GetProperty("profile").GetString() ?? "", root.GetProperty("recipe").GetString() ?? "", options);
    }

    /// <summary>
    /// A session on a model held in memory, with the session options it requires (generated wrappers pass the ones their
    /// manifest named at compile time) applied on top of <paramref name="options"/>.
    /// </summary>
    public static InferenceSession CreateSession(byte[] model, IEnumerable<KeyValuePair<string, string>> requiredOptions, SessionOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(requiredOptions);
        var owned = options is null;
        options ??= new SessionOptions();
        try
        {
            foreach (var (key, value) in requiredOptions)
            {
                options.AddSessionConfigEntry(key, value);
            }

            return new InferenceSession(model, options);
        }
        finally
        {
            if (owned)
            {
                options.Dispose();
            }
        }
    }

    /// <summary>Creates an ONNX Runtime session with the required session options applied (on top of <paramref name="options"/>, if given).</summary>
    public InferenceSession CreateSession(SessionOptions? options = null)
    {
        var owned = options is null;
        options ??= new SessionOptions();
        try
        {
            foreach (var (key, value) in SessionOptions)
            {
                options.AddSessionConfigEntry(key, value);
            }

            return new InferenceSession(Path, options);
        }
        finally
        {
            if (owned)
            {
                options.Dispose();
            }
        }
    }
}
