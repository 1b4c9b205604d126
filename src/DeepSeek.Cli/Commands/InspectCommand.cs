using System.CommandLine;
using DeepSeek.Cli.Output;
using DeepSeek.Onnx.Inspection;
using DeepSeek.Onnx.IO;

namespace DeepSeek.Cli.Commands;

/// <summary><c>deepseek inspect MODEL [--json]</c>: what a model holds, read without running it.</summary>
internal static class InspectCommand
{
    public static Command Create(TextWriter output, TextWriter error)
    {
        var model = new Argument<string>("MODEL") { Description = "The ONNX model file (.onnx)." };
        var json = new Option<bool>("--json") { Description = "Write the summary as JSON (schema: docs/inspect-json.md)." };
        var command = new Command("inspect", "Show a model's IR version, opsets, producer, inputs and outputs, operator histogram and parameters.")
        {
            model,
            json,
        };

        command.SetAction(parse =>
        {
            var path = parse.GetRequiredValue(model);
            return DeepSeekCli.Guard(error, path, () =>
            {
                var summary = ModelInspector.Inspect(ModelReader.Read(path));
                if (parse.GetValue(json))
                {
                    SummaryJsonWriter.Write(summary, output);
                }
                else
                {
                    SummaryTextWriter.Write(summary, output);
                }

                return DeepSeekCli.Success;
            });
        });
        return command;
    }
}
