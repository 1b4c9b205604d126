using System.Globalization;
using DeepSeek.Onnx.Diagnostics;
using DeepSeek.Onnx.Protobuf;

namespace DeepSeek.Onnx.IO;

/// <summary>
/// Where a tensor's bytes live when it is stored as external data: a file relative to the model's folder, an offset and a length.
/// </summary>
/// <param name="Location">The location as written in the model (a relative POSIX path).</param>
/// <param name="Offset">Byte offset in the file.</param>
/// <param name="Length">Byte length, when the model states it.</param>
/// <param name="Checksum">The SHA-1 the model states, if any (kept, not checked).</param>
public sealed record ExternalDataInfo(string Location, long Offset, long? Length, string? Checksum)
{
    /// <summary>Whether the tensor keeps its data in an external file.</summary>
    public static bool IsExternal(TensorProto tensor)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        return tensor.HasDataLocation && tensor.DataLocation == TensorProto.Types.DataLocation.External;
    }

    /// <summary>Reads the <c>external_data</c> entries of a tensor, checking that they are well formed.</summary>
    /// <exception cref="DeepSeekException">DSB0013 when an entry is missing or not an integer.</exception>
    public static ExternalDataInfo Parse(TensorProto tensor, string modelFile)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        string? location = null, checksum = null;
        long offset = 0;
        long? length = null;
        foreach (var entry in tensor.ExternalData)
        {
            switch (entry.Key)
            {
                case "location":
                    location = entry.Value;
                    break;
                case "offset":
                    offset = ParseNonNegative(entry.Value, "offset", tensor, modelFile);
                    break;
                case "length":
                    length = ParseNonNegative(entry.Value, "length", tensor, modelFile);
                    break;
                case "checksum":
                    checksum = entry.Value;
                    break;
            }
        }

        if (string.IsNullOrEmpty(location))
        {
            throw new DeepSeekException(DiagnosticIds.ExternalDataMalformed, modelFile,
                $"tensor {Names.Quote(tensor.Name)} is stored externally but names no 'location'");
        }

        return new ExternalDataInfo(location, offset, length, checksum);
    }

    /// <summary>
    /// Resolves <see cref="Location"/> against the model's folder, refusing any location that could leave it:
    /// absolute paths, drive or UNC roots, <c>..</c> segments, and links that point outside.
    /// </summary>
    /// <exception cref="DeepSeekException">DSB0010 for a location outside the folder, DSB0011 when the file is missing.</exception>
    public string ResolvePath(string modelDirectory, string modelFile, string tensorName)
    {
        ArgumentNullException.ThrowIfNull(modelDirectory);
        var location = Location;
        var escapes = location.Contains('\0', StringComparison.Ordinal)
            || location.StartsWith('/') || location.StartsWith('\\')
            || (location.Length >= 2 && location[1] == ':')
            || Path.IsPathRooted(location)
            || location.Split('/', '\\').Any(segment => segment == "..");
        var root = Path.GetFullPath(modelDirectory);
        var rootWithSeparator = Path.EndsInDirectorySeparator(root) ? root : root + Path.DirectorySeparatorChar;
        var full = escapes ? null : Path.GetFullPath(Path.Combine(root, location.Replace('\\', '/')));
        if (full is null || !full.StartsWith(rootWithSeparator, StringComparison.Ordinal))
        {
            throw new DeepSeekException(DiagnosticIds.ExternalDataOutsideModelFolder, modelFile,
                $"tensor {Names.Quote(tensorName)} points its external data at {Names.Quote(location)}, which is outside the model's folder");
        }

        var info = new FileInfo(full);
        if (!info.Exists)
        {
            throw new DeepSeekException(DiagnosticIds.ExternalDataMissing, modelFile,
                $"tensor {Names.Quote(tensorName)} keeps its data in {Names.Quote(location)}, which does not exist next to the model");
        }

        if (LeavesFolder(rootWithSeparator, full))
        {
            throw new DeepSeekException(DiagnosticIds.ExternalDataOutsideModelFolder, modelFile,
                $"tensor {Names.Quote(tensorName)} keeps its data in {Names.Quote(location)}, which goes through a link that leads outside the model's folder");
        }

        return full;
    }

    /// <summary>Whether the file, or any folder between the model's folder and it, is a link that resolves outside the model's folder.</summary>
    private static bool LeavesFolder(string rootWithSeparator, string full)
    {
        var relative = full[rootWithSeparator.Length..].Split(Path.DirectorySeparatorChar, StringSplitOptions.RemoveEmptyEntries);
        var current = rootWithSeparator.TrimEnd(Path.DirectorySeparatorChar);
        foreach (var segment in relative)
        {
            current = Path.Combine(current, segment);
            FileSystemInfo entry = Directory.Exists(current) ? new DirectoryInfo(current) : new FileInfo(current);
            if (entry.LinkTarget is null)
            {
                continue;
            }

            var target = entry.ResolveLinkTarget(returnFinalTarget: true)?.FullName;
            if (target is null || !Path.GetFullPath(target).StartsWith(rootWithSeparator, StringComparison.Ordinal))
            {
                return true;
            }
        }

        return false;
    }

    private static long ParseNonNegative(string? text, string key, TensorProto tensor, string modelFile)
    {
        if (!long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value))
        {
            throw new DeepSeekException(DiagnosticIds.ExternalDataMalformed, modelFile,
                $"tensor {Names.Quote(tensor.Name)} has external data {key} {Names.Quote(text)}, which is not a non-negative integer");
        }

        return value;
    }
}
