using System.Text.RegularExpressions;
using DeepSeek.Testing;

namespace DeepSeek.Cli.Tests;

public sealed partial class ErrorReportingTests
{
    public static TheoryData<string> CaseNames => new(BadModels.Cases.Keys);

    [Theory]
    [MemberData(nameof(CaseNames))]
    public void Inspect_reports_each_bad_input_as_one_error_line(string name)
    {
        using var temp = new TempDirectory();
        var (id, create) = BadModels.Cases[name];
        var path = create(temp.Path);

        var (code, output, error) = CliRunner.Run("inspect", path);

        Assert.Equal(1, code);
        Assert.Empty(output);
        var line = Assert.Single(error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Matches(ErrorLine(), line);
        Assert.StartsWith($"error {id}: {path}: ", line, StringComparison.Ordinal);
    }

    [Fact]
    public void The_real_process_prints_one_line_and_no_stack_trace()
    {
        using var temp = new TempDirectory();
        var path = BadModels.Cases["truncated-resnet18"].Create(temp.Path);

        var (code, output, error) = CliRunner.RunProcess("inspect", path);

        Assert.Equal(1, code);
        Assert.Empty(output);
        Assert.Equal($"error DSB0004: {path}: the file ends in the middle of the model — the file ends before the model does; download or export it again", error.TrimEnd('\n'));
        Assert.DoesNotContain("   at ", error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("inspct")]
    [InlineData("inspect")]
    [InlineData("inspect", "a.onnx", "--jsn")]
    public void An_invalid_command_line_exits_2_with_DSB0090(params string[] args)
    {
        var (code, output, error) = CliRunner.Run(args);

        Assert.Equal(2, code);
        Assert.Empty(output);
        Assert.All(error.Split('\n', StringSplitOptions.RemoveEmptyEntries), line => Assert.StartsWith("error DSB0090: deepseek: ", line, StringComparison.Ordinal));
    }

    [GeneratedRegex(@"^error DSB\d{4}: .+: .+ — .+$")]
    private static partial Regex ErrorLine();
}
