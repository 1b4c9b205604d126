using DeepSeek.Onnx.IO;
using DeepSeek.Onnx.Model;

namespace DeepSeek.Testing;

/// <summary>The test MLP (<see cref="ModelBuilder.Mlp"/>) saved twice in one folder: inline, and with its weights as external data.</summary>
/// <param name="Inline">The model with its weights inside the .onnx file.</param>
/// <param name="External">The same model with initializers of at least the threshold in <c>&lt;External&gt;.data</c>.</param>
public sealed record MlpFiles(string Inline, string External)
{
    public static MlpFiles Write(TempDirectory folder, long externalThreshold = 0, string inlineName = "inline.onnx", string externalName = "external.onnx")
    {
        var inline = ModelBuilder.Mlp(8, 13).Save(folder.File(inlineName));
        var external = folder.File(externalName);
        OnnxModel.Load(inline).Save(external, new ModelWriteOptions { ExternalData = ExternalDataMode.SeparateFile, ExternalDataThreshold = externalThreshold });
        return new MlpFiles(inline, external);
    }
}
