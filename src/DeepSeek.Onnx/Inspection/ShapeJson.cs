using System.Text.Json;
using DeepSeek.Onnx.Model;

namespace DeepSeek.Onnx.Inspection;

/// <summary>The one JSON form of a declared shape, shared by every document the tools write (inspect, manifest).</summary>
public static class ShapeJson
{
    /// <summary>
    /// Writes <c>"shape": [1, "N", null]</c>: a number for a fixed dimension, a string for a symbolic one, null for an unknown
    /// one; <c>"shape": null</c> when the rank is unknown.
    /// </summary>
    public static void Write(Utf8JsonWriter json, string propertyName, IReadOnlyList<Dimension>? shape)
    {
        ArgumentNullException.ThrowIfNull(json);
        if (shape is null)
        {
            json.WriteNull(propertyName);
            return;
        }

        json.WriteStartArray(propertyName);
        foreach (var dim in shape)
        {
            if (dim.Value is { } size)
            {
                json.WriteNumberValue(size);
            }
            else if (dim.Symbol is { } symbol)
            {
                json.WriteStringValue(symbol);
            }
            else
            {
                json.WriteNullValue();
            }
        }

        json.WriteEndArray();
    }
}
