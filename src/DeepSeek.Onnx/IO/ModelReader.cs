using System.IO.MemoryMappedFiles;
using DeepSeek.Onnx.Diagnostics;
using DeepSeek.Onnx.Model;
using DeepSeek.Onnx.Protobuf;
using DeepSeek.Onnx.Validation;
using System.Text;
using Google.Protobuf;

namespace DeepSeek.Onnx.IO;

/// <summary>
/// Reads ONNX models safely. The file is memory-mapped and parsed in place, so the only managed memory a read
/// takes is the model itself; the parser never allocates more than the bytes actually present; every failure is a
/// <see cref="DeepSeekException"/> with a DSB id, never another exception.
/// </summary>
public static class ModelReader
{
    /// <summary>The oldest IR version read (IR 3 introduced opset imports).</summary>
    public const long MinIrVersion = 3;

    /// <summary>The newest IR version read.</summary>
    public const long MaxIrVersion = 11;

    /// <summary>Protobuf messages cannot exceed 2 GB; larger models keep their weights as external data.</summary>
    public const long MaxModelFileBytes = int.MaxValue;

    /// <summary>Reads, parses and (by default) validates the model at <paramref name="path"/>.</summary>
    /// <exception cref="DeepSeekException">For any problem with the file; see docs/diagnostics.md.</exception>
    public static OnnxModel Read(string path, ModelReadOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(path);
        options ??= ModelReadOptions.Default;
        string fullPath;
        try
        {
            fullPath = Path.GetFullPath(path);
        }
        catch (Exception e) when (e is ArgumentException or NotSupportedException or PathTooLongException)
        {
            throw new DeepSeekException(DiagnosticIds.FileNotFound, path, "is not a valid path");
        }

        if (Directory.Exists(fullPath))
        {
            throw new DeepSeekException(DiagnosticIds.NotOnnx, path, "is a folder, not a model file");
        }

        if (!File.Exists(fullPath))
        {
            throw new DeepSeekException(DiagnosticIds.FileNotFound, path, "no such file");
        }

        try
        {
            var length = new FileInfo(fullPath).Length;
            if (length == 0)
            {
                throw new DeepSeekException(DiagnosticIds.FileEmpty, path, "the file is empty (0 bytes)");
            }

            if (length > MaxModelFileBytes)
            {
                throw new DeepSeekException(DiagnosticIds.ModelTooLarge, path, $"the file is {length} bytes, over the 2 GB protobuf limit");
            }

            using var map = MemoryMappedFile.CreateFromFile(fullPath, FileMode.Open, mapName: null, 0, MemoryMappedFileAccess.Read);
            using var view = map.CreateViewAccessor(0, length, MemoryMappedFileAccess.Read);
            var proto = ParseMapped(view, (int)length, path);
            return Build(proto, path, Path.GetDirectoryName(fullPath), fullPath, options);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new DeepSeekException(DiagnosticIds.ReadFailed, path, e.Message);
        }
    }

    /// <summary>
    /// Parses and validates a model held in memory. <paramref name="baseDirectory"/> is the folder that external data is
    /// relative to (null: a model with external data is refused).
    /// </summary>
    public static OnnxModel Parse(ReadOnlySpan<byte> bytes, string displayPath, string? baseDirectory = null, ModelReadOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(displayPath);
        options ??= ModelReadOptions.Default;
        if (bytes.IsEmpty)
        {
            throw new DeepSeekException(DiagnosticIds.FileEmpty, displayPath, "the model is empty (0 bytes)");
        }

        return Build(ParseProto(bytes, displayPath), displayPath, baseDirectory, null, options);
    }

    private static unsafe ModelProto ParseMapped(MemoryMappedViewAccessor view, int length, string displayPath)
    {
        byte* pointer = null;
        view.SafeMemoryMappedViewHandle.AcquirePointer(ref pointer);
        try
        {
            return ParseProto(new ReadOnlySpan<byte>(pointer + view.PointerOffset, length), displayPath);
        }
        finally
        {
            view.SafeMemoryMappedViewHandle.ReleasePointer();
        }
    }

    private static ModelProto ParseProto(ReadOnlySpan<byte> bytes, string displayPath)
    {
        ModelProto proto;
        try
        {
            // Parsing a span bounds every length-delimited field by the bytes actually present (a declared length past
            // the end is "truncated", never an allocation), and nesting by the parser's recursion limit (100).
            proto = ModelProto.Parser.ParseFrom(bytes);
        }
        catch (InvalidProtocolBufferException e)
        {
            throw Classify(e.Message, displayPath);
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or OverflowException or IndexOutOfRangeException or FormatException or DecoderFallbackException)
        {
            // The parser met bytes that are not a protobuf message at all.
            throw new DeepSeekException(DiagnosticIds.NotOnnx, displayPath, $"the bytes are not a protobuf model ({e.Message.TrimEnd('.')})");
        }

        return proto;
    }

    private static DeepSeekException Classify(string message, string displayPath)
    {
        if (message.Contains("truncated", StringComparison.OrdinalIgnoreCase) || message.Contains("end of stream", StringComparison.OrdinalIgnoreCase))
        {
            return new DeepSeekException(DiagnosticIds.Truncated, displayPath, "the file ends in the middle of the model");
        }

        if (message.Contains("recursion", StringComparison.OrdinalIgnoreCase))
        {
            return new DeepSeekException(DiagnosticIds.NestingTooDeep, displayPath, "messages nest deeper than the reader's limit");
        }

        return new DeepSeekException(DiagnosticIds.NotOnnx, displayPath, $"the bytes are not an ONNX protobuf message ({message.TrimEnd('.')})");
    }

    private static OnnxModel Build(ModelProto proto, string displayPath, string? baseDirectory, string? sourcePath, ModelReadOptions options)
    {
        if (!proto.HasIrVersion && proto.Graph is null)
        {
            throw new DeepSeekException(DiagnosticIds.NotOnnx, displayPath, "the file parses as protobuf but holds neither an IR version nor a graph");
        }

        if (proto.IrVersion is < MinIrVersion or > MaxIrVersion)
        {
            throw new DeepSeekException(DiagnosticIds.UnsupportedIrVersion, displayPath,
                $"IR version {proto.IrVersion} is outside the supported range {MinIrVersion}-{MaxIrVersion}");
        }

        if (proto.Graph is null)
        {
            throw new DeepSeekException(DiagnosticIds.MissingGraph, displayPath, "the model has no graph");
        }

        var model = new OnnxModel(proto, displayPath, baseDirectory) { SourcePath = sourcePath };
        if (options.Validate)
        {
            ModelValidator.Validate(model);
        }

        return model;
    }
}
