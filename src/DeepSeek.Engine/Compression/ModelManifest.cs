using System.Security.Cryptography;
using System.Text.Json;
using DeepSeek.Onnx.Inspection;
using DeepSeek.Onnx.Model;

namespace DeepSeek.Engine.Compression;

/// <summary>
/// The text manifest of a model as the build ships it (docs/manifest.md): its interface, opset, profile, recipe, the session
/// options it needs and content hashes. The source generator reads it (it cannot read binary models).
/// </summary>
public static class ModelManifest
{
    /// <summary>The manifest schema's version.</summary>
    public const int SchemaVersion = 1;

    /// <summary>Writes the manifest of <paramref name="model"/> atomically. <paramref name="contentFile"/> (the shipped model) is hashed when given.</summary>
    public static void Write(string path, OnnxModel model, string profile, string recipe, IReadOnlyDictionary<string, string> sessionOptions, string? contentFile)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(model);
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
                WriteValues(json, "inputs", model.Graph.Inputs);
                WriteValues(json, "outputs", model.Graph.Outputs);
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

    /// <summary><c>sha256:</c> and the hex SHA-256 of a file.</summary>
    public static string Hash(string file)
    {
        using var stream = File.OpenRead(file);
        return "sha256:" + Convert.ToHexStringLower(SHA256.HashData(stream));
    }

    private static void WriteValues(Utf8JsonWriter json, string name, IReadOnlyList<ValueInfo> values)
    {
        json.WriteStartArray(name);
        foreach (var value in values)
        {
            json.WriteStartObject();
            json.WriteString("name", value.Name);
            json.WriteString("elementType", value.ElementTypeName);
            ShapeJson.Write(json, "shape", value.Shape);

            json.WriteEndObject();
        }

        json.WriteEndArray();
    }
}
