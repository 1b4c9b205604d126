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
            ExternalDataFile? stored = null;
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

                var keepExternal = options.ExternalData == ExternalDataMode.Auto;
                if (model.OutputData is { } own && string.Equals(own.Directory, directory, StringComparison.Ordinal))
                {
                    // The model's own weight store is in the destination folder: finish it in place (the other tensors join the
                    // new ones already there), point every tensor in it at the final name, and move it there with the model.
                    WriteExternal(copy, model, own, options, keepExternal, path, cancellationToken);
                    Relocate(copy, own.Name, dataName);
                    stored = own;
                }
                else
                {
                    dataTemp = NewTemporary(dataPath, temporaries);
                    using var data = new ExternalDataFile(dataTemp, options.ExternalDataAlignment, dataName);
                    if (WriteExternal(copy, model, data, options, keepExternal, path, cancellationToken) == 0)
                    {
                        dataTemp = null; // nothing went out: no data file
                    }
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

            stored?.MoveTo(dataPath!);

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

    /// <summary>
    /// Moves tensor data into <paramref name="data"/>, streamed a chunk at a time (memory stays bounded whatever the tensor's size);
    /// tensors already there (the model's own weight store) stay where they are. Returns how many tensors the file holds.
    /// </summary>
    private static int WriteExternal(OnnxModel copy, OnnxModel source, ExternalDataFile data, ModelWriteOptions options,
        bool keepExternal, string displayPath, CancellationToken cancellationToken)
    {
        var inPlace = ReferenceEquals(source.OutputData, data);
        foreach (var tensor in InitializersOf(copy))
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (tensor.DataType == (int)TensorProto.Types.DataType.String || (inPlace && data.Holds(tensor)))
            {
                continue;
            }

            var size = DataTypes.ByteSize(tensor.DataType, TensorData.ElementCount(tensor, displayPath));
            var external = ExternalDataInfo.IsExternal(tensor);
            if (size < options.ExternalDataThreshold && !(keepExternal && external))
            {
                if (external)
                {
                    MakeInline(tensor, TensorData.ReadBytes(tensor, source.DataDirectoryOf(tensor), source.DisplayPath));
                }

                continue;
            }

            data.Copy(tensor, source);
        }

        return data.Count;
    }

    /// <summary>Points every tensor whose data is in <paramref name="from"/> at <paramref name="to"/> instead.</summary>
    private static void Relocate(OnnxModel copy, string from, string to)
    {
        foreach (var entry in InitializersOf(copy).SelectMany(t => t.ExternalData).Where(e => e.Key == "location" && e.Value == from))
        {
            entry.Value = to;
        }
    }

    private static void Inline(OnnxModel copy, OnnxModel source, CancellationToken cancellationToken)
    {
        foreach (var tensor in InitializersOf(copy).Concat(ConstantTensorsOf(copy)))
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (ExternalDataInfo.IsExternal(tensor))
            {
                MakeInline(tensor, TensorData.ReadBytes(tensor, source.DataDirectoryOf(tensor), source.DisplayPath));
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
        ExternalDataFile.Clear(tensor);
        tensor.RawData = UnsafeByteOperations.UnsafeWrap(bytes);
    }

    /// <summary>Whether <paramref name="dataPath"/> is a data file the model reads (its own weight store aside).</summary>
    private static bool IsSourceDataFile(OnnxModel model, string dataPath)
        => model.BaseDirectory is not null && model.ExternalDataPaths().Any(p => string.Equals(p, dataPath, StringComparison.Ordinal)
            && !string.Equals(p, model.OutputData?.FullPath, StringComparison.Ordinal));

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
