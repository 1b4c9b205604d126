using System.Reflection;
namespace DeepSeek.Testing;

/// <summary>
/// A fresh console app in a temp folder that imports the repository's build/ targets (engine and task assembly from src/),
/// built with the real dotnet CLI. By default it carries the MNIST MLP as Models/mnist-mlp.onnx and a Program that says
/// whether the shipped model is there. Test projects that use it reference src/DeepSeek.Cli and src/DeepSeek.Build.Tasks
/// (ReferenceOutputAssembly="false") so that both are built first.
/// </summary>
public sealed class TestApp : IDisposable
{
    private readonly TempDirectory folder = new();

    public TestApp(string modelItems, string? program = null)
    {
        Directory.CreateDirectory(File("Models"));
        System.IO.File.Copy(TestAssets.MnistMlp, File("Models/mnist-mlp.onnx"));
        var build = Metadata("BuildFolder");
        System.IO.File.WriteAllText(File("App.csproj"), $"""
            <Project Sdk="Microsoft.NET.Sdk">
              <Import Project="{build}/DeepSeek.Build.props" />
              <PropertyGroup>
                <OutputType>Exe</OutputType>
                <TargetFramework>net10.0</TargetFramework>
                <ImplicitUsings>enable</ImplicitUsings>
                <UseAppHost>false</UseAppHost>
                <DeepSeekEnginePath>{Metadata("EnginePath")}</DeepSeekEnginePath>
                <DeepSeekTasksAssembly>{Metadata("TasksPath")}</DeepSeekTasksAssembly>
              </PropertyGroup>
              <ItemGroup>
                {modelItems}
              </ItemGroup>
              <Import Project="{build}/DeepSeek.Build.targets" />
            </Project>
            """);
        System.IO.File.WriteAllText(File("Program.cs"), program ?? """
            var model = Path.Combine(AppContext.BaseDirectory, "Models", "mnist-mlp.onnx");
            Console.WriteLine(File.Exists(model) ? $"model {new FileInfo(model).Length} bytes" : "no model");
            """);
    }

    public string Path => folder.Path;

    public string File(string relative) => System.IO.Path.Combine(folder.Path, relative);

    /// <summary>Runs dotnet with the given arguments in the app's folder; returns the exit code and the whole output.</summary>
    public (int ExitCode, string Log) Dotnet(params string[] args) => ProcessRunner.Dotnet(folder.Path, args, timeout: TimeSpan.FromMinutes(5));

    public void Dispose() => folder.Dispose();

    private static string Metadata(string key)
        => System.IO.Path.GetFullPath(typeof(TestApp).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == key).Value!);
}
