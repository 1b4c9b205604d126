using System.Globalization;
using DeepSeek.Onnx.Diagnostics;
using DeepSeek.Onnx.Model;
using DeepSeek.Onnx.Protobuf;
using Google.Protobuf;

namespace DeepSeek.Onnx.IO;

/// <summary>
/// Writes ONNX models atomically: everything goes to temporary files in the destination folder, which are renamed into
/// place only when complete. A failure or a cancellation leaves no partial output, and the source model is never written.
/// </summary>
public static class ModelWriter
{
    private const int BufferSize = 1 << 16;

    /// <summary>Writes <paramref name="model"/> to <paramref name="path"/>.</summary>
    /// <exception cref="DeepSeekException">DSB0040 when the output cannot be written, DSB0041 when it is the source model, DSB0006 past 2 GB inline.</exception>
    public static void Write(OnnxModel model, string path, ModelWriteOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(path);
        options ??= ModelWriteOptions.Default;
        var fullPath = Path.GetFullPath(path);
        var directory = Path.GetDirectoryName(fullPath)!;
        if (model.SourcePath is not null && string.Equals(model.SourcePath, fullPath, StringComparison.Ordinal))
        {
            throw new DeepSeekException(DiagnosticIds.OutputIsInput, path, "is the model's own source file");
        }

        if (!Directory.Exists(directory))
        {
            throw new DeepSeekException(DiagnosticIds.WriteFailed, path, "the output folder does not exist");
        }

        var hasExternal = model.HasExternalData;
        var mode = options.ExternalData;
        if (mode == ExternalDataMode.Auto)
        {
            mode = hasExternal || model.Proto.CalculateSize() > ModelReader.MaxModelFileBytes - (1 << 20)
                ? ExternalDataMode.SeparateFile
                : ExternalDataMode.Inline;
        }

        var temporaries = new List<string>();
        try
        {
            if (mode == ExternalDataMode.Inline && !hasExternal)
            {
                var modelTemp = NewTemporary(fullPath, temporaries);
                WriteProto(model.Proto, modelTemp);
                cancellationToken.ThrowIfCancellationRequested();
                Commit(modelTemp, fullPath);
                return;
            }

            // Work on a copy: tensor bytes (ByteString) are immutable and shared, so the copy is cheap.
            var copy = new OnnxModel(model.Proto.Clone(), model.DisplayPath, model.BaseDirectory);
            string? dataTemp = null, dataPath = null;
            if (mode == ExternalDataMode.SeparateFile)
            {
                var dataName = options.ExternalDataFileName ?? Path.GetFileName(fullPath) + ".data";
                if (dataName.Length == 0 || dataName.IndexOfAny(['/', '\\']) >= 0 || dataName is "." or "..")
                {
                    throw new DeepSeekException(DiagnosticIds.WriteFailed, path,
                        $"external data file name {Names.Quote(dataName)} must be a plain file name next to the model");
                }

                dataPath = Path.Combine(directory, dataName);
                if (IsSourceDataFile(model, dataPath) || string.Equals(dataPath, fullPath, StringComparison.Ordinal))
                {
                    throw new DeepSeekException(DiagnosticIds.OutputIsInput, path,
                        $"the external data file {Names.Quote(dataName)} is the source model's own data file", "write the model to another folder or name");
                }

                dataTemp = NewTemporary(dataPath, temporaries);
                var keepExternal = options.ExternalData == ExternalDataMode.Auto;
                if (WriteExternal(copy, model, dataTemp, dataName, options, keepExternal, path, cancellationToken) == 0)
                {
                    dataTemp = null; // nothing went out: no data file
                }
            }
            else
            {
                Inline(copy, model, cancellationToken);
                if (copy.Proto.CalculateSize() > ModelReader.MaxModelFileBytes)
                {
                    throw new DeepSeekException(DiagnosticIds.ModelTooLarge, path, "the model would exceed 2 GB written inline");
                }
            }

            var temp = NewTemporary(fullPath, temporaries);
            WriteProto(copy.Proto, temp);
            cancellationToken.ThrowIfCancellationRequested();
            if (dataTemp is not null)
            {
                Commit(dataTemp, dataPath!);
            }

            Commit(temp, fullPath);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new DeepSeekException(DiagnosticIds.WriteFailed, path, e.Message);
        }
        finally
        {
            foreach (var temporary in temporaries)
            {
                TryDelete(temporary);
            }
        }
    }

    private static void WriteProto(ModelProto proto, string file)
    {
        using var stream = new FileStream(file, FileMode.CreateNew, FileAccess.Write, FileShare.None, bufferSize: 1, FileOptions.None);
        var output = new CodedOutputStream(stream, BufferSize);
        proto.WriteTo(output);
        output.Flush();
        
    }

    /// <summary>Moves tensor data into the data file; returns how many tensors went there.</summary>
    private static int WriteExternal(OnnxModel copy, OnnxModel source, string dataTemp, string dataName, ModelWriteOptions options,
        bool keepExternal, string displayPath, CancellationToken cancellationToken)
    {
        var written = 0;
        var alignment = Math.Max(1, options.ExternalDataAlignment);
        using var data = new FileStream(dataTemp, FileMode.CreateNew, FileAccess.Write, FileShare.None, BufferSize);
        foreach (var tensor in InitializersOf(copy))
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (tensor.DataType == (int)TensorProto.Types.DataType.String)
            {
                continue;
            }

            var elements = TensorData.ElementCount(tensor, displayPath);
            var size = DataTypes.ByteSize(tensor.DataType, elements);
            var external = ExternalDataInfo.IsExternal(tensor);
            if (size < options.ExternalDataThreshold && !(keepExternal && external))
            {
                if (external)
                {
                    MakeInline(tensor, TensorData.ReadBytes(tensor, source.BaseDirectory, source.DisplayPath));
                }

                continue;
            }

            var bytes = TensorData.ReadBytes(tensor, source.BaseDirectory, source.DisplayPath);
            var padding = (alignment - (data.Position % alignment)) % alignment;
            for (var i = 0; i < padding; i++)
            {
                data.WriteByte(0);
            }

            var offset = data.Position;
            data.Write(bytes);
            ClearData(tensor);
            tensor.ExternalData.Add(new StringStringEntryProto { Key = "location", Value = dataName });
            tensor.ExternalData.Add(new StringStringEntryProto { Key = "offset", Value = offset.ToString(CultureInfo.InvariantCulture) });
            tensor.ExternalData.Add(new StringStringEntryProto { Key = "length", Value = bytes.LongLength.ToString(CultureInfo.InvariantCulture) });
            tensor.DataLocation = TensorProto.Types.DataLocation.External;
            written++;
        }

        return written;
    }

    private static void Inline(OnnxModel copy, OnnxModel source, CancellationToken cancellationToken)
    {
        foreach (var tensor in InitializersOf(copy).Concat(ConstantTensorsOf(copy)))
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (ExternalDataInfo.IsExternal(tensor))
            {
                MakeInline(tensor, TensorData.ReadBytes(tensor, source.BaseDirectory, source.DisplayPath));
            }
        }
    }

    private static IEnumerable<TensorProto> InitializersOf(OnnxModel model)
        => model.Graph.SelfAndDescendants().SelectMany(g => g.Proto.Initializer);

    private static IEnumerable<TensorProto> ConstantTensorsOf(OnnxModel model)
        => model.Graph.SelfAndDescendants().SelectMany(g => g.Proto.Node).SelectMany(n => n.Attribute)
            .SelectMany(a => a.T is null ? a.Tensors : a.Tensors.Prepend(a.T));

    private static void MakeInline(TensorProto tensor, byte[] bytes)
    {
        ClearData(tensor);
        tensor.RawData = UnsafeByteOperations.UnsafeWrap(bytes);
    }

    private static void ClearData(TensorProto tensor)
    {
        tensor.ClearRawData();
        tensor.FloatData.Clear();
        tensor.DoubleData.Clear();
        tensor.Int32Data.Clear();
        tensor.Int64Data.Clear();
        tensor.Uint64Data.Clear();
        tensor.ExternalData.Clear();
        tensor.ClearDataLocation();
    }

    private static bool IsSourceDataFile(OnnxModel model, string dataPath)
    {
        if (model.BaseDirectory is null)
        {
            return false;
        }

        foreach (var weight in model.Graph.Weights())
        {
            if (weight.ExternalFile is not null
                && string.Equals(Path.GetFullPath(Path.Combine(model.BaseDirectory, weight.ExternalFile)), dataPath, StringComparison.Ordinal))
            {
                return true;
            }
        }

        return false;
    }

    private static string NewTemporary(string finalPath, List<string> temporaries)
    {
        var name = $".{Path.GetFileName(finalPath)}.{Guid.NewGuid():N}.tmp";
        var temp = Path.Combine(Path.GetDirectoryName(finalPath)!, name);
        temporaries.Add(temp);
        return temp;
    }

    private static void Commit(string temporary, string finalPath) => File.Move(temporary, finalPath, overwrite: true);

    private static void TryDelete(string file)
    {
        try
        {
            if (File.Exists(file))
            {
                File.Delete(file);
            }
        }
        catch (IOException)
        {
            // best effort: a leftover temporary is hidden and never taken for output
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
