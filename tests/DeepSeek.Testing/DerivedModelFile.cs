using DeepSeek.Onnx.Model;
using DeepSeek.Onnx.Protobuf;

namespace DeepSeek.Testing;

/// <summary>What the models the tests derive from real ones (<see cref="ArcticXsExport"/>, <see cref="ModelHeads"/>) share:
/// writing one once, and building a node.</summary>
internal static class DerivedModelFile
{
    /// <summary>Returns <paramref name="path"/>, writing <paramref name="build"/>'s model there first unless the file exists. The
    /// model is written under a unique name and renamed: test processes running at once never see a partial file.</summary>
    public static string WriteOnce(string path, Func<OnnxModel> build)
    {
        if (File.Exists(path))
        {
            return path;
        }

        var folder = Path.GetDirectoryName(path)!;
        Directory.CreateDirectory(folder);
        var temporary = Path.Combine(folder, Path.GetFileNameWithoutExtension(path) + "." + Guid.NewGuid().ToString("N") + ".onnx");
        try
        {
            new OnnxModel(build().Proto).Save(temporary);
            File.Move(temporary, path, overwrite: true);
        }
        finally
        {
            File.Delete(temporary);
        }

        return path;
    }

    /// <summary>A node named <paramref name="name"/>.</summary>
    public static NodeProto Node(string name, string op, string[] inputs, string[] outputs, params AttributeProto[] attributes)
    {
        var node = new NodeProto { OpType = op, Name = name };
        node.Input.AddRange(inputs);
        node.Output.AddRange(outputs);
        node.Attribute.AddRange(attributes);
        return node;
    }
}
