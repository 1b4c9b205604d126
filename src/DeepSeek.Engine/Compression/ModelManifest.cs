using System.Security.Cryptography;
using System.Text.Json;
using DeepSeek.Onnx.Inspection;
using DeepSeek.Engine.Runtime;
using DeepSeek.Onnx.Model;

namespace DeepSeek.Engine.Compression;

/// <summary>
/// The text manifest of a model as the build ships it (docs/manifest.md): its interface, opset, profile, recipe, the session
/// options it needs and content hashes. The source generator reads it (it cannot read binary models).
/// </summary>
public static class ModelManifest
{
    /// <summary>The manifest schema's version: 2 since output shapes are in terms of the input symbols (<see cref="OutputShapes"/>).</summary>
    public const int SchemaVersion = 2;

    /// <summary>
    /// Writes the manifest of <paramref name="model"/> atomically. <paramref name="contentFile"/> (the shipped model) is hashed
    /// when given. Output shapes are resolved with <see cref="OutputShapes.Resolve"/>, which runs the model when <paramref name="probeShapes"/>.
    /// </summary>
    public static void Write(string path, OnnxModel model, string profile, string recipe, IReadOnlyDictionary<string, string> sessionOptions, string? contentFile,
        bool probeShapes = true)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(model);
        var shapes = OutputShapes.Resolve(model, probeShapes);
        var full = Path.GetFullPath(path);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        var temporary = full + $".{Guid.NewGuid():N}.tmp";
        try
        {
            using (var stream = File.Create(temporary))
            using (var json = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true }))
            {
                json.WriteStartObject();
                json.WriteNumber("schemaVersion", SchemaVersion);
                json.WriteString("profile", profile);
                json.WriteString("recipe", recipe);
                json.WriteNumber("irVersion", model.IrVersion);
                json.WriteNumber("opset", model.GetOpsetVersion("") ?? 0);
                WriteValues(json, "inputs", model.Graph.Inputs, null);
                WriteValues(json, "outputs", model.Graph.Outputs, shapes.Outputs);
                json.WriteString("outputShapes", shapes.Probed ? "probed" : "declared");
                json.WriteString("outputShapesNote", shapes.Note);
                json.WriteStartObject("sessionOptions");
                foreach (var (key, value) in sessionOptions)
                {
                    json.WriteString(key, value);
                }

                json.WriteEndObject();
                if (model.SourcePath is not null)
                {
                    json.WriteString("sourceHash", Hash(model.SourcePath));
                }

                if (contentFile is null)
                {
                    json.WriteNull("contentHash");
                }
                else
                {
                    json.WriteString("contentHash", Hash(contentFile));
                    if (File.Exists(contentFile + ".data"))
                    {
                        // The shipped model's external data (written beside it as <model>.data): its content is part of the model.
                        json.WriteString("dataFile", Path.GetFileName(contentFile) + ".data");
                        json.WriteString("dataHash", Hash(contentFile + ".data"));
                    }
                }

                json.WriteEndObject();
            }

            File.Move(temporary, full, overwrite: true);
        }
        finally
        {
            if (File.Exists(temporary))
            {
                File.Delete(temporary);
            }
        }
    }

    /// <summary>The external data files <paramref name="model"/> names (full paths, in name order; empty for a self-contained model).</summary>
    public static IReadOnlyList<string> ExternalDataFiles(string model) => DeepSeek.Onnx.IO.ModelReader.Read(model).ExternalDataPaths();

    /// <summary><c>sha256:</c> and the hex SHA-256 of a file.</summary>
    public static string Hash(string file)
    {
        using var stream = File.OpenRead(file);
        return "sha256:" + Convert.ToHexStringLower(SHA256.HashData(stream));
    }

    /// <summary>Values with their <c>shape</c>; outputs with the resolved one, and the model's own as <c>modelShape</c>.</summary>
    private static void WriteValues(Utf8JsonWriter json, string name, IReadOnlyList<ValueInfo> values, IReadOnlyList<IReadOnlyList<Dimension>?>? resolved)
    {
        json.WriteStartArray(name);
        for (var i = 0; i < values.Count; i++)
        {
            var value = values[i];
            json.WriteStartObject();
            json.WriteString("name", value.Name);
            json.WriteString("elementType", value.ElementTypeName);
            ShapeJson.Write(json, "shape", resolved is null ? value.Shape : resolved[i]);
            if (resolved is not null)
            {
                ShapeJson.Write(json, "modelShape", value.Shape);
            }

            json.WriteEndObject();
        }

        json.WriteEndArray();
    }
}
