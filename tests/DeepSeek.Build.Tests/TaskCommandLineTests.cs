using System.Reflection;
using System.Text.Json;
using DeepSeek.Build.Tasks;
using DeepSeek.Testing;

namespace DeepSeek.Build.Tests;

/// <summary>The engine's command line as the task builds it, and the dotnet host it runs on.</summary>
public sealed class TaskCommandLineTests
{
    private static string EnginePath => Path.GetFullPath(typeof(TestApp).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "EnginePath").Value!);

    [Theory]
    [InlineData("plain", "\"plain\"")]
    [InlineData("", "\"\"")]
    [InlineData(@"C:\models\", @"""C:\models\\""")] // a trailing backslash must not escape the closing quote
    [InlineData(@"C:\a b\\", @"""C:\a b\\\\""")]
    [InlineData("say \"hi\"", @"""say \""hi\""""")]
    [InlineData(@"a\""b", @"""a\\\""b""")] // backslashes before a quote are doubled, the quote escaped
    [InlineData(@"a\b\c", @"""a\b\c""")] // elsewhere backslashes are literal
    public void Each_argument_is_quoted_by_the_argv_rules(string argument, string expected)
        => Assert.Equal(expected, EngineCommandLine.Join([argument]));

    [Fact]
    public void Paths_with_spaces_quotes_and_a_trailing_backslash_reach_the_engine_intact()
    {
        // Through the real task, the real process start and the real CLI (System.CommandLine): a design-time manifest run whose
        // model, manifest and profiles file paths each hold one of the characters a naive command line breaks on.
        using var temp = new TempDirectory();
        var quote = OperatingSystem.IsWindows() ? "'" : "\""; // Windows file names cannot hold a double quote
        var folder = Directory.CreateDirectory(temp.File($"dir with {quote}quotes{quote} and spaces")).FullName;
        var model = Path.Combine(folder, $"it's {quote}the{quote} model.onnx");
        File.Copy(TestAssets.MnistMlp, model);
        var manifest = Path.Combine(folder, OperatingSystem.IsWindows() ? "manifest end" : @"manifest ends in \");
        var profiles = Path.Combine(folder, OperatingSystem.IsWindows() ? "profiles.json" : @"profiles\");
        File.WriteAllText(profiles, """{ "profiles": [ { "name": "odd path", "rids": [], "int8": { "activations": "int8", "weightBits": 8 } } ] }""");
        var engine = new RecordingBuildEngine();
        var task = new DeepSeekCompress
        {
            BuildEngine = engine, DesignTime = true, Model = model, Output = model + ".out", Manifest = manifest,
            Profile = "odd path", Quantize = "int8-dynamic", ProfilesFile = profiles, EnginePath = EnginePath,
        };

        var ok = task.Execute();

        Assert.True(ok, string.Join("\n", engine.Errors.Select(e => e.Message).Concat(engine.Messages)));
        using var json = JsonDocument.Parse(File.ReadAllText(manifest));
        Assert.Equal("odd path", json.RootElement.GetProperty("profile").GetString());
        Assert.Contains(engine.Messages, m => m.Contains("manifest written", StringComparison.Ordinal) && m.Contains(model, StringComparison.Ordinal));
    }

    [Fact]
    public void Without_calibration_the_build_log_shows_one_high_importance_line_saying_the_evidence_is_random()
    {
        using var temp = new TempDirectory();
        var engine = new RecordingBuildEngine();
        var task = new DeepSeekCompress
        {
            BuildEngine = engine, Model = TestAssets.MnistMlp, Output = temp.File("mlp.onnx"), Manifest = temp.File("mlp.json"),
            Profile = "x64-avx2", Quantize = "int8-dynamic", EnginePath = EnginePath,
        };

        Assert.True(task.Execute(), string.Join("\n", engine.Errors.Select(e => e.Message).Concat(engine.Messages)));

        // ToolTask itself logs the command line at high importance; of the engine's output, only the evidence line is.
        var line = Assert.Single(engine.HighImportance, m => !m.Contains(EnginePath, StringComparison.Ordinal));
        Assert.StartsWith("  evidence: random inputs (no data given)", line, StringComparison.Ordinal);
        Assert.Contains("add a Calibration folder of real samples", line, StringComparison.Ordinal);
        Assert.Contains(engine.Messages, m => m.Contains("verified on 8 sample(s) from random", StringComparison.Ordinal)); // the rest stays low
        Assert.Empty(engine.Errors);
    }

    [Fact]
    public void The_HtmlReport_parameter_writes_the_page_and_the_task_logs_its_path_at_high_importance()
    {
        using var temp = new TempDirectory();
        DeepSeekCompress Task(RecordingBuildEngine engine) => new()
        {
            BuildEngine = engine, Model = TestAssets.MnistMlp, Output = temp.File("mlp.onnx"), Manifest = temp.File("mlp.json"),
            Report = temp.File("mlp.onnx.report.json"), HtmlReport = temp.File("mlp.onnx.report.html"), Profile = "x64-avx2", Quantize = "fp16",
            CacheDirectory = temp.File("cache"), EnginePath = EnginePath,
        };
        var engine = new RecordingBuildEngine();
        var task = Task(engine);

        Assert.Equal(["--report", task.Report, "--html-report", task.HtmlReport], task.EngineArguments().SkipWhile(a => a != "--report").Take(4));
        Assert.True(task.Execute(), string.Join("\n", engine.Errors.Select(e => e.Message).Concat(engine.Messages)));

        var page = File.ReadAllText(task.HtmlReport);
        Assert.StartsWith("<!DOCTYPE html>", page, StringComparison.Ordinal);
        Assert.Contains("<span class=\"recipe\" id=\"recipe\">fp16</span>", page, StringComparison.Ordinal);
        using var json = JsonDocument.Parse(File.ReadAllText(task.Report)); // the JSON report is still written beside it
        Assert.Equal("fp16", json.RootElement.GetProperty("recipe").GetString());
        Assert.Contains($"DeepSeek: report for mlp.onnx: {task.HtmlReport}", engine.HighImportance);

        // Served from the cache, the engine writes no report: the page there is an older run's, and the task does not point at it.
        File.SetLastWriteTimeUtc(task.HtmlReport, DateTime.UtcNow.AddHours(-1));
        var again = new RecordingBuildEngine();
        Assert.True(Task(again).Execute(), string.Join("\n", again.Errors.Select(e => e.Message).Concat(again.Messages)));
        Assert.Contains(again.Messages, m => m.Contains("from the cache", StringComparison.Ordinal));
        Assert.DoesNotContain(again.HighImportance, m => m.StartsWith("DeepSeek: report for", StringComparison.Ordinal));
    }

    [Fact]
    public void Dims_metadata_becomes_dim_options_that_size_the_random_samples_of_ArcticXs()
    {
        using var temp = new TempDirectory();
        var engine = new RecordingBuildEngine();
        var task = new DeepSeekCompress
        {
            BuildEngine = engine, Model = ArcticXs.Instance.Model, Output = temp.File("arctic.onnx"), Manifest = temp.File("arctic.json"),
            Report = temp.File("report.json"), Profile = "x64-avx2", Quantize = "int8-dynamic", EnginePath = EnginePath,
            Dims = "sequence_length=16; batch_size=3",
        };

        var args = task.EngineArguments();
        Assert.Equal(["--dim", "sequence_length=16", "--dim", "batch_size=3"], args.SkipWhile(a => a != "--dim").Take(4));
        Assert.True(task.Execute(), string.Join("\n", engine.Errors.Select(e => e.Message).Concat(engine.Messages)));

        using var json = JsonDocument.Parse(File.ReadAllText(task.Report));
        Assert.Equal(24, json.RootElement.GetProperty("evaluation").GetProperty("rows").GetInt32()); // 8 samples of batch_size 3
    }

    [Fact]
    public void Prune_metadata_becomes_prune_options_and_the_report_says_what_each_layer_lost()
    {
        using var temp = new TempDirectory();
        var engine = new RecordingBuildEngine();
        var task = new DeepSeekCompress
        {
            BuildEngine = engine, Model = TestAssets.MnistMlp, Output = temp.File("mnist.onnx"), Manifest = temp.File("mnist.json"),
            Report = temp.File("report.json"), Profile = "x64-avx2", Quantize = "int8-dynamic", EnginePath = EnginePath,
            Prune = "0.25", PruneMode = "channel-l2", AccuracyBudget = "none",
        };

        var args = task.EngineArguments();
        Assert.Equal(["--prune", "0.25", "--prune-mode", "channel-l2"], args.SkipWhile(a => a != "--prune").Take(4));
        Assert.DoesNotContain("--sparsity", args);
        Assert.True(task.Execute(), string.Join("\n", engine.Errors.Select(e => e.Message).Concat(engine.Messages)));

        using var json = JsonDocument.Parse(File.ReadAllText(task.Report));
        var pruning = json.RootElement.GetProperty("pruning");
        Assert.Equal("channel-l2 0.25", pruning.GetProperty("requested").GetString());
        Assert.Equal(0.25, pruning.GetProperty("shippedFraction").GetDouble(), 2);
        Assert.All(pruning.GetProperty("layers").EnumerateArray(), l => Assert.True(l.GetProperty("after").GetInt64() < l.GetProperty("before").GetInt64()));
    }

    [Fact]
    public void Task_metadata_sets_output_kinds_and_AccuracyBudget_none_is_said_at_high_importance()
    {
        using var temp = new TempDirectory();
        var engine = new RecordingBuildEngine();
        var task = new DeepSeekCompress
        {
            BuildEngine = engine, Model = ArcticXsExport.ModelPath, Output = temp.File("arctic.onnx"), Manifest = temp.File("arctic.json"),
            Report = temp.File("report.json"), Profile = "x64-avx2", Quantize = "int8-dynamic", EnginePath = EnginePath,
            ModelTask = "other; 924=embedding", AccuracyBudget = "none", Dims = "sequence_length=8",
        };

        var args = task.EngineArguments();
        Assert.Equal(["--task", "other", "--output-kind", "924=embedding"], args.SkipWhile(a => a != "--task").Take(4));
        Assert.True(task.Execute(), string.Join("\n", engine.Errors.Select(e => e.Message).Concat(engine.Messages)));

        using var json = JsonDocument.Parse(File.ReadAllText(task.Report));
        var outputs = json.RootElement.GetProperty("evaluation").GetProperty("outputs").EnumerateArray().ToDictionary(o => o.GetProperty("name").GetString()!);
        Assert.Equal(("other", "--task"), (outputs["last_hidden_state"].GetProperty("kind").GetString(), outputs["last_hidden_state"].GetProperty("kindSource").GetString()));
        Assert.Equal(("embedding", "--output-kind"), (outputs["924"].GetProperty("kind").GetString(), outputs["924"].GetProperty("kindSource").GetString()));
        Assert.Contains("nothing was enforced", json.RootElement.GetProperty("budget").GetString(), StringComparison.Ordinal);
        Assert.Contains(engine.HighImportance, m => m.Contains("budget: none: nothing was enforced", StringComparison.Ordinal));
    }

    /// <summary>The engine's "warning DSB0081: file: message" line becomes a build warning with its code, help link and file.</summary>
    [Fact]
    public void A_recipe_that_quantizes_nothing_is_a_build_warning_DSB0081_and_the_original_ships()
    {
        using var temp = new TempDirectory();
        var engine = new RecordingBuildEngine();
        var task = new DeepSeekCompress
        {
            BuildEngine = engine, Model = TestAssets.ResNet18, Output = temp.File("resnet.onnx"), Manifest = temp.File("resnet.json"),
            Report = temp.File("report.json"), Profile = "x64-avx2", Quantize = "int8-dynamic", EnginePath = EnginePath,
        };

        Assert.True(task.Execute(), string.Join("\n", engine.Errors.Select(e => e.Message).Concat(engine.Messages)));

        var warning = Assert.Single(engine.Warnings);
        Assert.Equal("DSB0081", warning.Code);
        Assert.Equal(TestAssets.ResNet18, warning.File);
        Assert.Contains("int8-dynamic quantized nothing", warning.Message, StringComparison.Ordinal);
        Assert.NotNull(warning.HelpLink);
        Assert.Equal(File.ReadAllBytes(TestAssets.ResNet18), File.ReadAllBytes(task.Output));
        using var json = JsonDocument.Parse(File.ReadAllText(task.Report));
        Assert.StartsWith("DSB0081:", Assert.Single(json.RootElement.GetProperty("warnings").EnumerateArray()).GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public void The_resolve_task_asks_the_engine_once_per_question()
    {
        var engine = new RecordingBuildEngine();
        var linux = new DeepSeekResolveProfile { BuildEngine = engine, EnginePath = EnginePath, RuntimeIdentifier = "linux-x64" };
        var host = new DeepSeekResolveProfile { BuildEngine = engine, EnginePath = EnginePath };
        var again = new DeepSeekResolveProfile { BuildEngine = engine, EnginePath = "/nowhere/DeepSeek.Cli.dll", RuntimeIdentifier = "linux-x64" };
        var riscv = new DeepSeekResolveProfile { BuildEngine = engine, EnginePath = EnginePath, RuntimeIdentifier = "linux-riscv64", ProjectFile = "App.csproj" };

        Assert.True(linux.Execute());
        Assert.Equal("x64-avx2", linux.Profile);
        Assert.True(host.Execute());
        Assert.Equal(DeepSeek.Engine.Profiles.HostCpu.Current.ProfileName, host.Profile);
        Assert.False(again.Execute()); // another engine path is another question: not served from the answer above
        Assert.Equal("DSB0091", engine.Errors.Single().Code);

        Assert.False(riscv.Execute());
        var error = engine.Errors.Last();
        Assert.Equal("DSB0061", error.Code);
        Assert.Equal("App.csproj", error.File);
        Assert.Contains("linux-riscv64", error.Message, StringComparison.Ordinal);

        var cached = new DeepSeekResolveProfile { BuildEngine = engine, EnginePath = EnginePath, RuntimeIdentifier = "linux-x64", DotnetHost = "/no/such/dotnet" };
        Assert.True(cached.Execute()); // served from the first answer: no process started (the host given could not run one)
        Assert.Equal("x64-avx2", cached.Profile);
    }

    [Fact]
    public void The_host_is_the_builds_own_dotnet_before_the_one_on_PATH()
    {
        var files = new HashSet<string> { "/sdk/dotnet", "/host/dotnet", "/usr/bin/dotnet", "/opt/other/dotnet" };
        bool Exists(string f) => files.Contains(f.Replace('\\', '/'));
        const string Path = "/opt/other:/usr/bin";

        Assert.Equal("/mine/dotnet", DotnetHost.Resolve("/mine/dotnet", "/host/dotnet", "/sdk", Path, windows: false, Exists));
        Assert.Equal("/host/dotnet", DotnetHost.Resolve("", "/host/dotnet", "/sdk", Path, windows: false, Exists));
        Assert.Equal("/sdk/dotnet", Norm(DotnetHost.Resolve("", "/gone/dotnet", "/sdk", Path, windows: false, Exists))); // DOTNET_HOST_PATH stale
        Assert.Equal("/sdk/dotnet", Norm(DotnetHost.Resolve("", "", "/sdk/", Path, windows: false, Exists)));
        Assert.Equal("/opt/other/dotnet", Norm(DotnetHost.Resolve("", "", "", Path, windows: false, Exists))); // PATH order
        Assert.Equal("dotnet", DotnetHost.Resolve("", "", "/empty", "", windows: false, Exists));
        Assert.Equal("dotnet.exe", DotnetHost.Resolve("", "", "", "", windows: true, Exists));
    }

    private static string Norm(string path) => path.Replace('\\', '/').Replace("//", "/", StringComparison.Ordinal);
}
