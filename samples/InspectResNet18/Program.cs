using System.Reflection;
using DeepSeek.Cli;

// The main job, for now: inspect ResNet-18 (restored by NuGet), then compress it with `deepseek compress` for this machine's
// profile and show what the engine did and measured. With --json, only the inspection, as JSON.
var model = typeof(Program).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "ResNet18Path").Value!;
Console.WriteLine($"$ deepseek inspect {Path.GetFileName(model)} {string.Join(' ', args)}".TrimEnd());
var code = DeepSeekCli.Run(["inspect", model, .. args], Console.Out, Console.Error);
if (code != 0 || args.Contains("--json"))
{
    return code;
}

var folder = Directory.CreateTempSubdirectory("deepseek-sample-");
try
{
    var output = Path.Combine(folder.FullName, "resnet18.fp16.onnx");
    Console.WriteLine();
    Console.WriteLine($"$ deepseek compress {Path.GetFileName(model)} -o {Path.GetFileName(output)} --quantize fp16");
    return DeepSeekCli.Run(["compress", model, "-o", output, "--quantize", "fp16"], Console.Out, Console.Error);
}
finally
{
    folder.Delete(recursive: true);
}
