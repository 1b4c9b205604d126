using System.Globalization;
using DeepSeek.Onnx.Model;
using DeepSeek.Onnx.Protobuf;
using Google.Protobuf;

namespace DeepSeek.Onnx.IO;

/// <summary>
/// An external-data file being written: each tensor's bytes are appended at a page-aligned offset, straight to the file
/// (no buffering, so the bytes can be read back at once), and the tensor is pointed at them. The weight store of a large
/// model: a pass writes a new tensor here instead of keeping its bytes in the model proto, and <see cref="ModelWriter"/>
/// finishes the file in place when the model is saved beside it.
/// </summary>
public sealed class ExternalDataFile : IDisposable
{
    /// <summary>Bytes copied at a time when a tensor streams from another file.</summary>
    public const int ChunkBytes = 1 << 20;

    private readonly Microsoft.Win32.SafeHandles.SafeFileHandle handle;
    private readonly int alignment;

    /// <summary>
    /// Creates <paramref name="path"/> (which must not exist); tensors start at multiples of <paramref name="alignment"/> and
    /// name <paramref name="location"/> (default: the file's name; another for a temporary file renamed into place later).
    /// </summary>
    public ExternalDataFile(string path, int alignment = 4096, string? location = null)
    {
        ArgumentNullException.ThrowIfNull(path);
        FullPath = System.IO.Path.GetFullPath(path);
        Name = location ?? System.IO.Path.GetFileName(FullPath);
        this.alignment = Math.Max(1, alignment);
        handle = File.OpenHandle(FullPath, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.Read);
    }

    /// <summary>The file's full path.</summary>
    public string FullPath { get; private set; }

    /// <summary>The <c>location</c> every tensor written here names (the model must be saved in the same folder, the file under this name).</summary>
    public string Name { get; }

    /// <summary>The folder the file is in.</summary>
    public string Directory => System.IO.Path.GetDirectoryName(FullPath)!;

    /// <summary>Bytes written so far (padding included).</summary>
    public long Length { get; private set; }

    /// <summary>How many tensors were written.</summary>
    public int Count { get; private set; }

    /// <summary>Whether <paramref name="tensor"/>'s bytes are in this file.</summary>
    public bool Holds(TensorProto tensor)
        => ExternalDataInfo.IsExternal(tensor) && tensor.ExternalData.Any(e => e.Key == "location" && e.Value == Name);

    /// <summary>Writes <paramref name="bytes"/> (the tensor's data in <c>raw_data</c> layout) and points <paramref name="tensor"/> at them.</summary>
    public void Append(TensorProto tensor, ReadOnlySpan<byte> bytes)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        var offset = Align();
        RandomAccess.Write(handle, bytes, offset);
        Length = offset + bytes.Length;
        PointAt(tensor, offset, bytes.Length);
    }

    /// <summary>
    /// Copies <paramref name="tensor"/>'s data, wherever it is (inline or in <paramref name="model"/>'s external files), into this
    /// file <see cref="ChunkBytes"/> at a time, and points the tensor here. Memory stays bounded whatever the tensor's size.
    /// </summary>
    public void Copy(TensorProto tensor, OnnxModel model)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        ArgumentNullException.ThrowIfNull(model);
        if (!ExternalDataInfo.IsExternal(tensor))
        {
            var bytes = tensor.HasRawData ? tensor.RawData : ByteString.CopyFrom(TensorData.ReadBytes(tensor, null, model.DisplayPath));
            Append(tensor, bytes.Span);
            return;
        }

        var offset = Align();
        var position = offset;
        var buffer = new byte[ChunkBytes];
        TensorData.ReadExternal(tensor, model.DataDirectoryOf(tensor), model.DisplayPath, buffer, chunk =>
        {
            RandomAccess.Write(handle, chunk, position);
            position += chunk.Length;
        });
        Length = position;
        PointAt(tensor, offset, position - offset);
    }

    /// <summary>Removes every form of data from <paramref name="tensor"/> (inline fields and external references).</summary>
    public static void Clear(TensorProto tensor)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        tensor.ClearRawData();
        tensor.FloatData.Clear();
        tensor.DoubleData.Clear();
        tensor.Int32Data.Clear();
        tensor.Int64Data.Clear();
        tensor.Uint64Data.Clear();
        tensor.ExternalData.Clear();
        tensor.ClearDataLocation();
    }

    /// <summary>Closes the file and moves it to <paramref name="path"/> (replacing any file there): the last step of a model's
    /// save, when its tensors' locations already name the new file.</summary>
    public void MoveTo(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        handle.Dispose();
        var full = System.IO.Path.GetFullPath(path);
        if (!string.Equals(full, FullPath, StringComparison.Ordinal))
        {
            File.Move(FullPath, full, overwrite: true);
            FullPath = full;
        }
    }

    /// <inheritdoc />
    public void Dispose() => handle.Dispose();

    private long Align()
    {
        ObjectDisposedException.ThrowIf(handle.IsClosed, this);
        var offset = (Length + alignment - 1) / alignment * alignment;
        if (offset > Length)
        {
            // Zero padding, written (not a hole) so that the file's length always covers every tensor's range.
            RandomAccess.Write(handle, new byte[offset - Length], Length);
        }

        return offset;
    }

    private void PointAt(TensorProto tensor, long offset, long length)
    {
        Clear(tensor);
        tensor.ExternalData.Add(new StringStringEntryProto { Key = "location", Value = Name });
        tensor.ExternalData.Add(new StringStringEntryProto { Key = "offset", Value = offset.ToString(CultureInfo.InvariantCulture) });
        tensor.ExternalData.Add(new StringStringEntryProto { Key = "length", Value = length.ToString(CultureInfo.InvariantCulture) });
        tensor.DataLocation = TensorProto.Types.DataLocation.External;
        Count++;
    }
}
