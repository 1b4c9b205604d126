using System.CommandLine;
using DeepSeek.Engine.Compression;
using DeepSeek.Engine.Profiles;
using DeepSeek.Onnx.IO;

namespace DeepSeek.Cli.Commands;

/// <summary>
/// <c>deepseek manifest MODEL -o FILE [--profile P] [--quantize Q]</c>: the model's text manifest without compressing it
/// (what design-time builds write, so that the IDE sees the wrapper types at once). The recipe is the planned one.
/// </summary>
internal static class ManifestCommand
{
    public static Command Create(TextWriter output, TextWriter error, Option<string?> profilesFile)
    {
        var model = new Argument<string>("MODEL") { Description = "The ONNX model." };
        var outputPath = new Option<string>("--output", "-o") { Description = "Where to write the manifest.", Required = true };
        var profile = new Option<string?>("--profile") { Description = "Hardware profile; default: this machine's." };
        var quantize = new Option<string>("--quantize") { Description = "The Quantize value the build will use.", DefaultValueFactory = _ => "auto" };
        var command = new Command("manifest", "Write a model's text manifest (interface, opset, profile, planned recipe) without compressing it.")
        {
            model, outputPath, profile, quantize,
        };
        command.SetAction(parse =>
        {
            var input = parse.GetRequiredValue(model);
            return DeepSeekCli.Guard(error, input, () =>
            {
                var catalog = ProfileCatalog.Load(parse.GetValue(profilesFile));
                var target = parse.GetValue(profile) is { } name ? catalog.Get(name) : catalog.ForHost();
                var source = ModelReader.Read(input);
                var recipe = RecipePlanner.Candidates(parse.GetValue(quantize) ?? "auto", target, source, hasCalibration: true)[0];
                ModelManifest.Write(parse.GetRequiredValue(outputPath), source, target.Name, RecipePlanner.Name(recipe), new Dictionary<string, string>(), contentFile: null);
                output.WriteLine($"{input}: manifest written ({target.Name}, {RecipePlanner.Name(recipe)} planned)");
                return DeepSeekCli.Success;
            });
        });
        return command;
    }
}
