using System.Security.Cryptography;
using System.Text;

namespace DeepSeek.Engine.Compression;

/// <summary>
/// A content-addressed cache of compressed models: the key hashes the engine version, the source model (and its external
/// data), the calibration files, the profile and every option. Entries are written through temporary files and renamed,
/// so processes sharing a cache never see half an entry; two writers of one key write the same bytes.
/// </summary>
public sealed class CompressionCache(string directory)
{
    /// <summary>The cache folder.</summary>
    public string Directory { get; } = Path.GetFullPath(directory);

    /// <summary>The key of a request.</summary>
    public static string Key(CompressionRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var text = new StringBuilder();
        text.Append("engine=").Append(typeof(CompressionCache).Assembly.ManifestModule.ModuleVersionId).Append('\n');
        text.Append("model=").Append(ModelManifest.Hash(request.Input)).Append('\n');
        var dataFiles = ModelManifest.ExternalDataFiles(request.Input);
        foreach (var data in dataFiles)
        {
            text.Append("data=").Append(Path.GetFileName(data)).Append('=').Append(ModelManifest.Hash(data)).Append('\n');
        }

        if (dataFiles.Count > 0)
        {
            // The compressed model names its data file after itself (<output>.data): an entry serves that file name only.
            text.Append("output=").Append(Path.GetFileName(request.Output)).Append('\n');
        }

        if (request.CalibrationFolder is { } calibration && System.IO.Directory.Exists(calibration))
        {
            foreach (var file in System.IO.Directory.GetFiles(calibration, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
            {
                text.Append("calibration=").Append(Path.GetRelativePath(calibration, file)).Append('=').Append(ModelManifest.Hash(file)).Append('\n');
            }
        }

        var p = request.Profile;
        text.Append("profile=").Append(p.Name).Append(';').Append(p.Int8.Activations).Append(';').Append(p.Int8.WeightBits).Append(';')
            .Append(string.Join(",", p.Int8.SessionOptions.Select(kv => kv.Key + "=" + kv.Value))).Append(';').Append(p.DefaultRecipe)
            .Append(";size=").Append(p.SizeBudgetMB?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "none").Append('\n');
        text.Append("quantize=").Append(request.Quantize).Append(";method=").Append(request.CalibrationMethod)
            .Append(";samples=").Append(request.MaxCalibrationSamples).Append(";int4=").Append(request.Int4BlockSize).Append(request.Int4Symmetric ? "s" : "a").Append(Int4Methods.Name(request.Int4Method))
            .Append(";prune=").Append(request.Prune?.ToString() ?? "none")
            .Append(";budget=").Append(request.Budget?.Name ?? "none")
            .Append(";task=").Append(request.Task ?? "")
            .Append(";kinds=").Append(string.Join(",", request.OutputKinds.OrderBy(k => k.Key, StringComparer.Ordinal).Select(k => k.Key + "=" + k.Value)))
            .Append(";dims=").Append(string.Join(",", request.Dims.OrderBy(d => d.Key, StringComparer.Ordinal).Select(d => d.Key + "=" + d.Value)));
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString())));
    }

    /// <summary>The cached model for <paramref name="key"/>, or null.</summary>
    public string? TryGet(string key)
    {
        var path = Path.Combine(Directory, key + ".onnx");
        return File.Exists(path) && File.Exists(Path.Combine(Directory, key + ".options")) ? path : null;
    }

    /// <summary>The session options stored with an entry.</summary>
    public IReadOnlyDictionary<string, string> Options(string key)
        => File.ReadAllLines(Path.Combine(Directory, key + ".options")).Select(l => l.Split('=', 2)).Where(p => p.Length == 2)
            .ToDictionary(p => p[0], p => p[1], StringComparer.Ordinal);

    /// <summary>The recipe stored with an entry.</summary>
    public string Recipe(string key) => File.ReadAllText(Path.Combine(Directory, key + ".recipe")).Trim();

    /// <summary>Stores a compressed model, with its external data file (<c>model.data</c>) when it has one, under <paramref name="key"/>.</summary>
    public void Put(string key, string model, string recipe, IReadOnlyDictionary<string, string> sessionOptions)
    {
        System.IO.Directory.CreateDirectory(Directory);
        Atomic(Path.Combine(Directory, key + ".recipe"), path => File.WriteAllText(path, recipe));
        if (File.Exists(model + ".data"))
        {
            Atomic(Path.Combine(Directory, key + ".onnx.data"), path => File.Copy(model + ".data", path));
        }

        Atomic(Path.Combine(Directory, key + ".onnx"), path => File.Copy(model, path));
        // Written last: an entry counts only once its .options file exists.
        Atomic(Path.Combine(Directory, key + ".options"), path => File.WriteAllLines(path, sessionOptions.Select(kv => kv.Key + "=" + kv.Value)));
    }

    /// <summary>Copies a cached model (and its external data, else removing an earlier one) to <paramref name="output"/> through temporary files.</summary>
    public static void CopyTo(string cached, string output)
    {
        var full = Path.GetFullPath(output);
        if (File.Exists(cached + ".data"))
        {
            Atomic(full + ".data", path => File.Copy(cached + ".data", path));
        }
        else if (File.Exists(full + ".data"))
        {
            File.Delete(full + ".data");
        }

        Atomic(full, path => File.Copy(cached, path));
    }

    private static void Atomic(string final, Action<string> write)
    {
        var temporary = Path.Combine(Path.GetDirectoryName(final)!, $".{Path.GetFileName(final)}.{Guid.NewGuid():N}.tmp");
        try
        {
            write(temporary);
            File.Move(temporary, final, overwrite: true);
        }
        finally
        {
            if (File.Exists(temporary))
            {
                File.Delete(temporary);
            }
        }
    }
}
