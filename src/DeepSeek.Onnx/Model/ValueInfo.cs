using DeepSeek.Onnx.Protobuf;

namespace DeepSeek.Onnx.Model;

/// <summary>What kind of value a graph input or output carries.</summary>
public enum ValueKind
{
    /// <summary>The type is not declared.</summary>
    Unknown,
    /// <summary>A dense tensor.</summary>
    Tensor,
    /// <summary>A sparse tensor.</summary>
    SparseTensor,
    /// <summary>A sequence of values.</summary>
    Sequence,
    /// <summary>A map.</summary>
    Map,
    /// <summary>An optional value.</summary>
    Optional,
    /// <summary>An opaque value.</summary>
    Opaque,
}

/// <summary>A named value of a graph (input, output or intermediate) with its declared type.</summary>
/// <param name="Name">The value's name.</param>
/// <param name="Kind">Tensor, sequence, map...</param>
/// <param name="ElementType">For tensors, the <c>TensorProto.DataType</c> of the elements; 0 when not declared.</param>
/// <param name="Shape">For tensors with a declared shape, its dimensions; null when the rank is unknown.</param>
public sealed record ValueInfo(string Name, ValueKind Kind, int ElementType, IReadOnlyList<Dimension>? Shape)
{
    /// <summary>The element type's ONNX name (<c>float</c>, <c>int64</c>...).</summary>
    public string ElementTypeName => DataTypes.Name(ElementType);

    /// <summary>The shape as text, for example <c>[N,3,224,224]</c>, or <c>?</c> when the rank is unknown.</summary>
    public string ShapeText => Shape is null ? "?" : "[" + string.Join(",", Shape) + "]";

    /// <summary>Reads a <see cref="ValueInfoProto"/>.</summary>
    public static ValueInfo From(ValueInfoProto proto)
    {
        ArgumentNullException.ThrowIfNull(proto);
        var type = proto.Type;
        if (type is null)
        {
            return new ValueInfo(proto.Name, ValueKind.Unknown, 0, null);
        }

        return type.ValueCase switch
        {
            TypeProto.ValueOneofCase.TensorType => new ValueInfo(proto.Name, ValueKind.Tensor, type.TensorType.ElemType, ReadShape(type.TensorType.Shape)),
            TypeProto.ValueOneofCase.SparseTensorType => new ValueInfo(proto.Name, ValueKind.SparseTensor, type.SparseTensorType.ElemType, ReadShape(type.SparseTensorType.Shape)),
            TypeProto.ValueOneofCase.SequenceType => new ValueInfo(proto.Name, ValueKind.Sequence, 0, null),
            TypeProto.ValueOneofCase.MapType => new ValueInfo(proto.Name, ValueKind.Map, 0, null),
            TypeProto.ValueOneofCase.OptionalType => new ValueInfo(proto.Name, ValueKind.Optional, 0, null),
            TypeProto.ValueOneofCase.OpaqueType => new ValueInfo(proto.Name, ValueKind.Opaque, 0, null),
            _ => new ValueInfo(proto.Name, ValueKind.Unknown, 0, null),
        };
    }

    private static Dimension[]? ReadShape(TensorShapeProto? shape)
    {
        if (shape is null)
        {
            return null;
        }

        var dims = new Dimension[shape.Dim.Count];
        for (var i = 0; i < dims.Length; i++)
        {
            var d = shape.Dim[i];
            dims[i] = d.ValueCase switch
            {
                TensorShapeProto.Types.Dimension.ValueOneofCase.DimValue => new Dimension(d.DimValue, null),
                TensorShapeProto.Types.Dimension.ValueOneofCase.DimParam => new Dimension(null, d.DimParam),
                _ => new Dimension(null, null),
            };
        }

        return dims;
    }
}
