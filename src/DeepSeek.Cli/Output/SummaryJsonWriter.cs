using System.Text.Json;
using DeepSeek.Onnx.Inspection;
using DeepSeek.Onnx.Model;

namespace DeepSeek.Cli.Output;

/// <summary>Writes a <see cref="ModelSummary"/> as the JSON documented in docs/inspect-json.md (schema version 1).</summary>
internal static class SummaryJsonWriter
{
    public const int SchemaVersion = 1;

    public static void Write(ModelSummary summary, TextWriter output)
    {
        JsonOutput.Write(output, json =>
        {
            json.WriteStartObject();
            json.WriteNumber("schemaVersion", SchemaVersion);
            json.WriteString("file", summary.File);
            json.WriteNumber("irVersion", summary.IrVersion);
            json.WriteStartObject("producer");
            json.WriteString("name", summary.ProducerName);
            json.WriteString("version", summary.ProducerVersion);
            json.WriteEndObject();
            json.WriteString("domain", summary.Domain);
            json.WriteNumber("modelVersion", summary.ModelVersion);
            json.WriteStartArray("opsets");
            foreach (var opset in summary.Opsets)
            {
                json.WriteStartObject();
                json.WriteString("domain", opset.DisplayDomain);
                json.WriteNumber("version", opset.Version);
                json.WriteEndObject();
            }

            json.WriteEndArray();
            WriteValues(json, "inputs", summary.Inputs);
            WriteValues(json, "outputs", summary.Outputs);
            json.WriteNumber("nodeCount", summary.NodeCount);
            json.WriteStartArray("operators");
            foreach (var op in summary.Operators)
            {
                json.WriteStartObject();
                json.WriteString("domain", op.Domain.Length == 0 ? "ai.onnx" : op.Domain);
                json.WriteString("opType", op.OpType);
                json.WriteNumber("count", op.Count);
                json.WriteEndObject();
            }

            json.WriteEndArray();
            var p = summary.Parameters;
            json.WriteStartObject("parameters");
            json.WriteNumber("count", p.Count);
            json.WriteNumber("bytes", p.Bytes);
            json.WriteNumber("tensors", p.Tensors);
            WriteGroups(json, "byDataType", "dataType", p.ByDataType);
            WriteGroups(json, "byLocation", "location", p.ByLocation);
            json.WriteStartArray("externalFiles");
            foreach (var file in p.ExternalFiles)
            {
                json.WriteStringValue(file);
            }

            json.WriteEndArray();
            json.WriteEndObject();
            json.WriteEndObject();
        });
    }

    private static void WriteValues(Utf8JsonWriter json, string name, IReadOnlyList<ValueInfo> values)
    {
        json.WriteStartArray(name);
        foreach (var value in values)
        {
            json.WriteStartObject();
            json.WriteString("name", value.Name);
            json.WriteString("kind", value.Kind.ToString().ToLowerInvariant());
            if (value.ElementType == 0)
            {
                json.WriteNull("elementType");
            }
            else
            {
                json.WriteString("elementType", value.ElementTypeName);
            }

            ShapeJson.Write(json, "shape", value.Shape);

            json.WriteEndObject();
        }

        json.WriteEndArray();
    }

    private static void WriteGroups(Utf8JsonWriter json, string name, string keyName, IReadOnlyList<ParameterGroup> groups)
    {
        json.WriteStartArray(name);
        foreach (var group in groups)
        {
            json.WriteStartObject();
            json.WriteString(keyName, group.Key);
            json.WriteNumber("tensors", group.Tensors);
            json.WriteNumber("count", group.Count);
            json.WriteNumber("bytes", group.Bytes);
            json.WriteEndObject();
        }

        json.WriteEndArray();
    }
}
