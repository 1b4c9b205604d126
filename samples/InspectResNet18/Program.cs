using System.Reflection;
using DeepSeek.Cli;

// Runs `deepseek inspect <ResNet-18>` (and, with --json, its JSON form) on the model NuGet restored.
var model = typeof(Program).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "ResNet18Path").Value!;
Console.WriteLine($"$ deepseek inspect {Path.GetFileName(model)} {string.Join(' ', args)}".TrimEnd());
return DeepSeekCli.Run(["inspect", model, .. args], Console.Out, Console.Error);
