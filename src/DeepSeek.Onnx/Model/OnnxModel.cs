using DeepSeek.Onnx.IO;
using DeepSeek.Onnx.Protobuf;

namespace DeepSeek.Onnx.Model;

/// <summary>One operator set a model imports.</summary>
/// <param name="Domain">The domain; <c>""</c> (shown as <c>ai.onnx</c>) for the standard operators, <c>com.microsoft</c> for ONNX Runtime's.</param>
/// <param name="Version">The opset version.</param>
public sealed record OpsetImport(string Domain, long Version)
{
    /// <summary>The domain as people write it: <c>ai.onnx</c> for the default domain.</summary>
    public string DisplayDomain => Domain.Length == 0 ? "ai.onnx" : Domain;
}

/// <summary>
/// An ONNX model: the <see cref="ModelProto"/> and where it came from (the folder that external data is relative to).
/// Read one with <see cref="Load"/>, write it with <see cref="Save"/>.
/// </summary>
public sealed class OnnxModel
{
    /// <summary>Wraps a model message. <paramref name="baseDirectory"/> is the folder external data locations are relative to.</summary>
    public OnnxModel(ModelProto proto, string? displayPath = null, string? baseDirectory = null)
    {
        ArgumentNullException.ThrowIfNull(proto);
        Proto = proto;
        DisplayPath = displayPath ?? "<memory>";
        BaseDirectory = baseDirectory;
        Graph = new OnnxGraph(proto.Graph ?? new GraphProto(), "main", this);
    }

    /// <summary>The underlying protobuf message.</summary>
    public ModelProto Proto { get; }

    /// <summary>The path as the user gave it, used in messages.</summary>
    public string DisplayPath { get; }

    /// <summary>The folder that external data locations are relative to; null for a model not read from a file.</summary>
    public string? BaseDirectory { get; }

    /// <summary>The full path of the file the model was read from, when it was.</summary>
    public string? SourcePath { get; init; }

    /// <summary>
    /// Where new tensors of this model go (the weight store of a large model): an external-data file that passes append to
    /// instead of holding the bytes in the proto. Null: new tensors stay inline.
    /// </summary>
    public ExternalDataFile? OutputData { get; set; }

    /// <summary>The folder that <paramref name="tensor"/>'s external data location is relative to: <see cref="OutputData"/>'s
    /// for a tensor written there, else <see cref="BaseDirectory"/>.</summary>
    public string? DataDirectoryOf(TensorProto tensor)
        => OutputData is { } data && data.Holds(tensor) ? data.Directory : BaseDirectory;

    /// <summary>The main graph.</summary>
    public OnnxGraph Graph { get; }

    /// <summary>The IR version.</summary>
    public long IrVersion => Proto.IrVersion;

    /// <summary>The operator sets imported, in file order.</summary>
    public IReadOnlyList<OpsetImport> Opsets => Proto.OpsetImport.Select(o => new OpsetImport(o.Domain, o.Version)).ToArray();

    /// <summary>The imported version of <paramref name="domain"/> (<c>""</c> or <c>ai.onnx</c> for the standard operators), or null.</summary>
    public long? GetOpsetVersion(string domain)
    {
        var normalized = NormalizeDomain(domain);
        foreach (var opset in Proto.OpsetImport)
        {
            if (NormalizeDomain(opset.Domain) == normalized)
            {
                return opset.Version;
            }
        }

        return null;
    }

    /// <summary>Whether the model keeps any tensor in external files.</summary>
    public bool HasExternalData => Graph.Weights().Any(w => w.Location == WeightLocation.External || w.ExternalFile is not null);

    /// <summary>The full paths of the external data files the model's tensors name (distinct, in name order; the reader has
    /// checked that each lies inside the model's folder). Empty for a self-contained model.</summary>
    public IReadOnlyList<string> ExternalDataPaths() => Graph.Weights().Select(w => w.ExternalFile).OfType<string>().Distinct(StringComparer.Ordinal)
        .Select(f => Path.GetFullPath(Path.Combine(OutputData is { } data && data.Name == f ? data.Directory : BaseDirectory ?? ".", f))).Order(StringComparer.Ordinal).ToArray();

    /// <summary>Reads and validates a model file. See <see cref="ModelReader.Read"/>.</summary>
    public static OnnxModel Load(string path, ModelReadOptions? options = null) => ModelReader.Read(path, options);

    /// <summary>Writes the model atomically. See <see cref="ModelWriter.Write"/>.</summary>
    public void Save(string path, ModelWriteOptions? options = null) => ModelWriter.Write(this, path, options);

    /// <summary><c>""</c> and <c>ai.onnx</c> name the same domain.</summary>
    public static string NormalizeDomain(string? domain) => string.IsNullOrEmpty(domain) || domain == "ai.onnx" ? "" : domain;
}
