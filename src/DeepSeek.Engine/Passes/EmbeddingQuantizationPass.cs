using DeepSeek.Engine.Graph;
using DeepSeek.Engine.Operators;
using DeepSeek.Onnx.Diagnostics;
using DeepSeek.Onnx.Protobuf;

namespace DeepSeek.Engine.Passes;

/// <summary>
/// Quantizes embedding tables: a constant float table <c>[rows, width]</c> read by <c>Gather</c> (the registry's
/// <see cref="WeightLayout.Rows"/> entries) is stored in 8 or 4 bits per block of a row, with a scale and a zero point per
/// block, and read by ONNX Runtime's <c>com.microsoft.GatherBlockQuantized</c>, which dequantizes only the rows it gathers.
/// In a transformer the word-embedding table is often half the parameters.
/// <para>
/// A table that is also the weight of an output projection (a tied language-model head: <c>Transpose(table) → MatMul</c>) is
/// stored once. With 8 bits, in int8 per row (symmetric): the Gathers become <c>Gather(int8) → Cast → Mul(row scale)</c> and
/// the MatMul runs in int8 on the transposed table (<c>DynamicQuantizeLinear → MatMulInteger</c>; ONNX Runtime folds the
/// Transpose of the constant when the session is created). With 4 bits (the int4 recipe, when the width is a whole number of
/// blocks), in 4-bit blocks along each row, which is <c>MatMulNBits</c>' layout of the head's weight (a row of the table is a
/// column of the head): the head becomes <c>MatMulNBits</c> (at the profile's accuracy level) and the Gathers
/// <c>GatherBlockQuantized</c> over the same 3-D tensor.
/// </para>
/// Any other reader of the table leaves it float.
/// </summary>
/// <param name="bits">8 or 4.</param>
/// <param name="blockSize">Values per block along a row: a power of two, at least 16 (ONNX Runtime's rule).</param>
/// <param name="accuracyLevel">MatMulNBits' accuracy_level for a 4-bit tied head (the profile's <c>int4.accuracyLevel</c>).</param>
/// <param name="weightBits">The int8 per-row table's bits (the profile's int8 weight bits: 7 where 8-bit weights would saturate
/// the target's u8s8 kernels, x64 without VNNI).</param>
public sealed class EmbeddingQuantizationPass(int bits = 8, int blockSize = 128, int accuracyLevel = 4, int weightBits = 8) : IGraphPass
{
    /// <summary>Tables with fewer values stay float.</summary>
    public const int MinElements = 4096;

    /// <inheritdoc />
    public string Name => bits == 4 ? "embeddings-int4" : "embeddings-int8";

    /// <inheritdoc />
    public PassResult Run(PassContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (bits is not (4 or 8) || blockSize < 16 || (blockSize & (blockSize - 1)) != 0)
        {
            throw new DeepSeekException(DiagnosticIds.InternalError, context.File, $"embedding quantization with {bits} bits in blocks of {blockSize}");
        }

        var model = context.Model;
        var editor = GraphEditor.For(model);
        long tables = 0, tied = 0, values = 0;
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var candidates = editor.Graph.Node.Where(n => OperatorRegistry.Is(n, e => e.Layout == WeightLayout.Rows)).ToArray();
        for (var c = 0; c < candidates.Length; c++)
        {
            var gather = candidates[c];
            var name = gather.Input[0];
            context.Step(Name, c, candidates.Length, name);
            if (!seen.Add(name) || OperatorRegistry.Weight(gather, editor) is not { } table || table.Dims[0] * table.Dims[1] < MinElements
                || editor.Initializer(name) is null)
            {
                continue;
            }

            var readers = editor.Consumers(name);
            var gathers = readers.Where(r => r.OpType == "Gather" && r.Domain is "" or "ai.onnx" && r.Input[0] == name && Tensors.IntAttribute(r, "axis", 0) == 0).ToList();
            var heads = readers.Where(r => IsTransposeIntoMatMul(r, editor)).ToList();
            if (gathers.Count + heads.Count != readers.Count)
            {
                continue; // something else reads the table as floats
            }

            int rows = (int)table.Dims[0], width = (int)table.Dims[1];
            var floats = Tensors.ReadFloats(table, model);
            if (heads.Count == 0)
            {
                // 4-bit rows are packed two values a byte: an odd width would come back one column wider, so such a table keeps 8 bits.
                QuantizeBlocks(editor, name, gathers, floats, rows, width, bits == 4 && width % 2 != 0 ? 8 : bits);
            }
            else if (bits == 4 && width % blockSize == 0)
            {
                QuantizeTiedBlocks(editor, name, gathers, heads, floats, rows, width);
                tied++;
            }
            else
            {
                QuantizeTied(editor, name, gathers, heads, floats, rows, width);
                tied++;
            }

            tables++;
            values += floats.Length;
        }

        if (tables > 0 && !model.Proto.OpsetImport.Any(o => o.Domain == "com.microsoft"))
        {
            model.Proto.OpsetImport.Add(new OperatorSetIdProto { Domain = "com.microsoft", Version = 1 });
        }

        editor.RemoveUnusedInitializers();
        editor.SortTopologically();
        return new PassResult(Name, $"{tables} embedding table(s), {values} values, in {bits}-bit blocks of {blockSize} ({tied} tied to an output projection: {(bits == 4 ? "the head in MatMulNBits on the same 4-bit table" : "int8 per row")})",
            new Dictionary<string, long> { ["tables"] = tables, ["tied"] = tied, ["values"] = values, ["bits"] = bits, ["blockSize"] = blockSize });
    }

    private static bool IsTransposeIntoMatMul(NodeProto node, GraphEditor editor)
        => node is { OpType: "Transpose", Domain: "" or "ai.onnx" }
           && Tensors.Attribute(node, "perm") is { } perm && perm.Ints.SequenceEqual([1L, 0L])
           && editor.Consumers(node.Output[0]) is { Count: > 0 } readers
           && readers.All(r => r is { OpType: "MatMul", Domain: "" or "ai.onnx" } && r.Input[1] == node.Output[0] && r.Input[0] != node.Output[0])
           && !editor.IsGraphOutput(node.Output[0]);

    /// <summary>
    /// A tied table in 4-bit blocks stored once, in MatMulNBits' layout <c>[rows, blocks, blockSize/2]</c>: the head's
    /// <c>MatMul(x, Transpose(table))</c> becomes <c>MatMulNBits</c> over it; the Gathers read the same tensor as 3-D data
    /// (<c>GatherBlockQuantized</c> along its last axis, then a Reshape of each gathered row back to the width). Scales and zero
    /// points (a few percent of the table) are written once for each reader, in the layout each wants.
    /// </summary>
    private void QuantizeTiedBlocks(GraphEditor editor, string name, List<NodeProto> gathers, List<NodeProto> heads, float[] table, int rows, int width)
    {
        var (data, scales, zeroPoints, blocks) = QuantizeRows(table, rows, width, 4, blockSize);
        var d = editor.AddInitializer(name + "_int4", Tensors.UInt8(data, rows, blocks, blockSize / 2));
        var headZeros = editor.AddInitializer(name + "_head_zero_points", Tensors.UInt8(zeroPoints, zeroPoints.Length));
        var headScales = editor.AddInitializer(name + "_head_scales", Tensors.Float(scales, rows, blocks)); // MatMulNBits: [N, blocks]
        var gatherScales = editor.AddInitializer(name + "_scales", Tensors.Float(scales, rows, blocks, 1)); // the data's rank
        var unpacked = new byte[rows * blocks]; // GatherBlockQuantized's [rows, blocks, 1]: one zero point a byte
        var zeroBytes = (blocks + 1) / 2;
        for (var i = 0; i < unpacked.Length; i++)
        {
            var (r, b) = (i / blocks, i % blocks);
            unpacked[i] = (byte)((zeroPoints[(r * zeroBytes) + (b / 2)] >> (4 * (b % 2))) & 0xF);
        }

        var gatherZeros = editor.AddInitializer(name + "_zero_points", Tensors.UInt8(unpacked, rows, blocks, 1));
        var widthShape = editor.AddInitializer(name + "_width", Tensors.Int64([width], 1));
        foreach (var gather in gathers)
        {
            var prefix = string.IsNullOrEmpty(gather.Name) ? gather.Output[0] : gather.Name;
            string blocked = editor.UniqueName(prefix + "_blocks"), idsShape = editor.UniqueName(prefix + "_ids_shape"), shape = editor.UniqueName(prefix + "_shape");
            var node = editor.AddNode("GatherBlockQuantized", [d, gather.Input[1], gatherScales, gatherZeros], [blocked], "com.microsoft", name: prefix + "_quantized");
            Tensors.SetInt(node, "gather_axis", 0);
            Tensors.SetInt(node, "quantize_axis", 2);
            Tensors.SetInt(node, "block_size", blockSize);
            Tensors.SetInt(node, "bits", 4);
            editor.AddNode("Shape", [gather.Input[1]], [idsShape], name: prefix + "_ids_shape");
            var concat = editor.AddNode("Concat", [idsShape, widthShape], [shape], name: prefix + "_row_shape");
            Tensors.SetInt(concat, "axis", 0);
            editor.AddNode("Reshape", [blocked, shape], [gather.Output[0]], name: prefix + "_rows");
            editor.RemoveNode(gather);
        }

        foreach (var transpose in heads)
        {
            foreach (var matmul in editor.Consumers(transpose.Output[0]).ToArray())
            {
                Int4BlockPass.AddMatMulNBits(editor, [matmul.Input[0], d, headScales, headZeros], matmul.Output[0],
                    (string.IsNullOrEmpty(matmul.Name) ? matmul.Output[0] : matmul.Name) + "_int4", width, rows, blockSize, accuracyLevel);
                editor.RemoveNode(matmul);
            }

            editor.RemoveNode(transpose);
        }
    }

    private void QuantizeBlocks(GraphEditor editor, string name, List<NodeProto> gathers, float[] table, int rows, int width, int bits)
    {
        var (data, scales, zeroPoints, blocks) = QuantizeRows(table, rows, width, bits, blockSize);
        var d = editor.AddInitializer(name + $"_int{bits}", Tensors.UInt8(data, rows, data.Length / rows));
        var s = editor.AddInitializer(name + "_scales", Tensors.Float(scales, rows, blocks));
        var z = editor.AddInitializer(name + "_zero_points", Tensors.UInt8(zeroPoints, rows, zeroPoints.Length / rows));
        foreach (var gather in gathers)
        {
            var node = editor.AddNode("GatherBlockQuantized", [d, gather.Input[1], s, z], [gather.Output[0]], "com.microsoft", name: gather.Name + "_quantized");
            Tensors.SetInt(node, "gather_axis", 0);
            Tensors.SetInt(node, "quantize_axis", 1);
            Tensors.SetInt(node, "block_size", blockSize);
            Tensors.SetInt(node, "bits", bits);
            editor.RemoveNode(gather);
        }
    }

    private void QuantizeTied(GraphEditor editor, string name, List<NodeProto> gathers, List<NodeProto> heads, float[] table, int rows, int width)
    {
        // Symmetric int8 per row: a row of the table is a column of the transposed projection, so one scale serves both.
        var (q, scales) = Int8.WeightQuantization.PerOuterChannel(table, rows, weightBits);
        var data = editor.AddInitializer(name + "_int8", Tensors.Int8(q, rows, width));
        var rowScales = editor.AddInitializer(name + "_row_scales", Tensors.Float(scales, rows, 1));
        foreach (var gather in gathers)
        {
            var prefix = string.IsNullOrEmpty(gather.Name) ? gather.Output[0] : gather.Name;
            string values = editor.UniqueName(prefix + "_int8"), floats = editor.UniqueName(prefix + "_float"), scale = editor.UniqueName(prefix + "_scale");
            editor.AddNode("Gather", [data, gather.Input[1]], [values], name: prefix + "_rows");
            var cast = editor.AddNode("Cast", [values], [floats], name: prefix + "_cast");
            Tensors.SetInt(cast, "to", (long)TensorProto.Types.DataType.Float);
            editor.AddNode("Gather", [rowScales, gather.Input[1]], [scale], name: prefix + "_row_scales");
            editor.AddNode("Mul", [floats, scale], [gather.Output[0]], name: prefix + "_dequantize");
            editor.RemoveNode(gather);
        }

        var columnScales = editor.AddInitializer(name + "_column_scales", Tensors.Float(scales, rows));
        var zero = editor.AddInitializer(name + "_zero_points", Tensors.Int8(new sbyte[rows], rows));
        var form = new Int8.DynamicMatMulForm(editor);
        foreach (var transpose in heads)
        {
            var transposed = editor.UniqueName(name + "_int8_t");
            var t = editor.AddNode("Transpose", [data], [transposed], name: transpose.Name + "_int8");
            t.Attribute.Add(Tensors.Attribute(transpose, "perm")!.Clone());
            foreach (var matmul in editor.Consumers(transpose.Output[0]).ToArray())
            {
                form.Add(string.IsNullOrEmpty(matmul.Name) ? matmul.Output[0] : matmul.Name, matmul.Input[0], transposed, zero, columnScales, matmul.Output[0]);
                editor.RemoveNode(matmul);
            }

            editor.RemoveNode(transpose);
        }
    }

    /// <summary>
    /// Asymmetric blocks along each row (the range, zero inside it, clipped where that lowers the error: <see cref="Int8.BlockRange"/>), packed as GatherBlockQuantized reads uint8 data:
    /// 8 bits one value per byte; 4 bits two per byte, low nibble first. Zero points likewise (4 bits: two blocks per byte).
    /// </summary>
    public static (byte[] Data, float[] Scales, byte[] ZeroPoints, int Blocks) QuantizeRows(ReadOnlySpan<float> table, int rows, int width, int bits, int blockSize)
    {
        var levels = (1 << bits) - 1;
        var blocks = (width + blockSize - 1) / blockSize;
        var perByte = 8 / bits;
        var rowBytes = (width + perByte - 1) / perByte;
        var zeroBytes = (blocks + perByte - 1) / perByte;
        var data = new byte[rows * rowBytes];
        var scales = new float[rows * blocks];
        var zeroPoints = new byte[rows * zeroBytes];
        for (var r = 0; r < rows; r++)
        {
            var row = table.Slice(r * width, width);
            for (var b = 0; b < blocks; b++)
            {
                var block = row.Slice(b * blockSize, Math.Min(blockSize, width - (b * blockSize)));
                var (scale, zero) = Int8.BlockRange.Choose(block, levels, symmetric: false);
                scales[(r * blocks) + b] = scale;
                zeroPoints[(r * zeroBytes) + (b / perByte)] |= (byte)(zero << (bits * (b % perByte)));
                for (var j = 0; j < block.Length; j++)
                {
                    var column = (b * blockSize) + j;
                    data[(r * rowBytes) + (column / perByte)] |= (byte)(Int8.BlockRange.Code(block[j], (scale, zero), levels) << (bits * (column % perByte)));
                }
            }
        }

        return (data, scales, zeroPoints, blocks);
    }
}
