using DeepSeek.Engine.Graph;
using DeepSeek.Engine.Passes;
using DeepSeek.Onnx.Protobuf;

namespace DeepSeek.Engine.Pruning;

/// <summary>
/// Stores mostly-zero weights compactly in a form every ONNX Runtime loads: the non-zero values, and one byte per value for
/// the distance from the previous one (zero-valued fillers bridge longer runs), rebuilt by standard operators
/// (Cast → CumSum → ScatterElements into ConstantOfShape → Reshape). All their inputs are constants, so ONNX Runtime folds
/// them into the dense weight when the session loads: the file shrinks, the run time does not change. ONNX's own
/// sparse_initializer would need 8-byte indices, more than the weights it saves at 1:16 in int8. A weight is rewritten
/// only when the compact form takes at most <see cref="MaxShare"/> of its bytes; models below opset 11 (no CumSum) keep theirs.
/// </summary>
public sealed class SparseStoragePass : IGraphPass
{
    /// <summary>The compact form must take at most this share of the dense bytes.</summary>
    public const double MaxShare = 0.75;

    /// <summary>Smaller weights stay dense (the five rebuilding nodes cost more than they save).</summary>
    public const int MinBytes = 2048;

    /// <inheritdoc />
    public string Name => "sparse-storage";

    /// <inheritdoc />
    public PassResult Run(PassContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var model = context.Model;
        var editor = GraphEditor.For(model);
        long tensors = 0, before = 0, after = 0;
        if ((model.GetOpsetVersion("") ?? 0) < 11 || model.HasExternalData)
        {
            return new PassResult(Name, "weights stored dense (the model's opset is below 11, or it keeps its weights in external data)", new Dictionary<string, long> { ["tensors"] = 0 });
        }

        var inputs = editor.Graph.Input.Select(i => i.Name).ToHashSet(StringComparer.Ordinal);
        foreach (var tensor in editor.Graph.Initializer.ToArray())
        {
            context.Cancellation.ThrowIfCancellationRequested();
            var size = ElementSize(tensor.DataType);
            if (size == 0 || inputs.Contains(tensor.Name) || editor.IsGraphOutput(tensor.Name) || tensor.DataLocation == TensorProto.Types.DataLocation.External)
            {
                continue;
            }

            var bytes = Bytes(tensor, model);
            if (bytes is null || bytes.Length < MinBytes)
            {
                continue;
            }

            var (values, gaps) = Compact(bytes, size);
            if (values.Length + gaps.Length > bytes.Length * MaxShare)
            {
                continue;
            }

            Replace(editor, tensor, values, gaps, size);
            tensors++;
            before += bytes.Length;
            after += values.Length + gaps.Length;
        }

        if (tensors > 0)
        {
            _ = editor.RemoveUnusedInitializers();
            editor.SortTopologically();
        }

        return new PassResult(Name, tensors == 0 ? "no weight is sparse enough to store compactly"
            : $"{tensors} sparse weight(s) stored as values and gaps: {before:N0} → {after:N0} bytes", new Dictionary<string, long>
        {
            ["tensors"] = tensors,
            ["denseBytes"] = before,
            ["compactBytes"] = after,
        });
    }

    private static int ElementSize(int type) => (TensorProto.Types.DataType)type switch
    {
        TensorProto.Types.DataType.Float => 4,
        TensorProto.Types.DataType.Float16 => 2,
        TensorProto.Types.DataType.Int8 or TensorProto.Types.DataType.Uint8 => 1,
        _ => 0,
    };

    /// <summary>The tensor's little-endian bytes, or null when it holds them in typed fields this pass does not read.</summary>
    private static byte[]? Bytes(TensorProto tensor, DeepSeek.Onnx.Model.OnnxModel model)
    {
        if (tensor.HasRawData)
        {
            return tensor.RawData.ToByteArray();
        }

        if (tensor.DataType == (int)TensorProto.Types.DataType.Float)
        {
            var floats = Tensors.ReadFloats(tensor, model);
            var raw = new byte[floats.Length * 4];
            Buffer.BlockCopy(floats, 0, raw, 0, raw.Length);
            return raw;
        }

        return null;
    }

    /// <summary>The non-zero elements' bytes and, per element, its distance from the previous one (1–255; fillers of zero value bridge more).</summary>
    internal static (byte[] Values, byte[] Gaps) Compact(byte[] dense, int size)
    {
        var values = new List<byte>();
        var gaps = new List<byte>();
        long previous = -1;
        var count = dense.Length / size;
        for (long i = 0; i < count; i++)
        {
            var element = dense.AsSpan((int)(i * size), size);
            if (!element.ContainsAnyExcept((byte)0))
            {
                continue;
            }

            // The first position is its distance from -1 less one: positions are the running sum of the gaps, from 0.
            var gap = previous < 0 ? i : i - previous;
            while (gap > 255)
            {
                gaps.Add(255);
                values.AddRange(new byte[size]);
                gap -= 255;
            }

            gaps.Add((byte)gap);
            values.AddRange(element.ToArray());
            previous = i;
        }

        return (values.ToArray(), gaps.ToArray());
    }

    private static void Replace(GraphEditor editor, TensorProto tensor, byte[] values, byte[] gaps, int size)
    {
        var name = tensor.Name;
        var count = tensor.Dims.Aggregate(1L, (a, d) => a * d);
        var type = (TensorProto.Types.DataType)tensor.DataType;
        var valuesName = editor.AddInitializer(name + "_values", Tensors.Raw(type, values, values.Length / size));
        var gapsName = editor.AddInitializer(name + "_gaps", Tensors.UInt8(gaps, gaps.Length));
        var axis = editor.AddInitializer(name + "_axis", Tensors.Int64([0]));
        var total = editor.AddInitializer(name + "_count", Tensors.Int64([count], 1));
        var shape = editor.AddInitializer(name + "_shape", Tensors.Int64([.. tensor.Dims], tensor.Dims.Count));
        var gaps64 = editor.UniqueName(name + "_gaps64");
        var positions = editor.UniqueName(name + "_positions");
        var zeros = editor.UniqueName(name + "_zeros");
        var flat = editor.UniqueName(name + "_flat");
        var dense = editor.UniqueName(name + "_dense");
        editor.AddNode("Cast", [gapsName], [gaps64], name: name + "_cast").Attribute.Add(new AttributeProto { Name = "to", Type = AttributeProto.Types.AttributeType.Int, I = (long)TensorProto.Types.DataType.Int64 });
        editor.AddNode("CumSum", [gaps64, axis], [positions], name: name + "_cumsum");
        var zero = Tensors.Raw(type, new byte[size], 1);
        editor.AddNode("ConstantOfShape", [total], [zeros], name: name + "_zeros").Attribute.Add(new AttributeProto { Name = "value", Type = AttributeProto.Types.AttributeType.Tensor, T = zero });
        editor.AddNode("ScatterElements", [zeros, positions, valuesName], [flat], name: name + "_scatter").Attribute.Add(new AttributeProto { Name = "axis", Type = AttributeProto.Types.AttributeType.Int, I = 0 });
        editor.AddNode("Reshape", [flat, shape], [dense], name: name + "_reshape");
        editor.ReplaceAllUses(name, dense);
    }
}
