using System.Text.RegularExpressions;
using DeepSeek.Onnx.Diagnostics;
using DeepSeek.Onnx.IO;
using DeepSeek.Testing;

namespace DeepSeek.Onnx.Tests;

public sealed partial class BadInputTests
{
    public static TheoryData<string> CaseNames => new(BadModels.Cases.Keys);

    [Theory]
    [MemberData(nameof(CaseNames))]
    public void Each_bad_input_gives_its_diagnostic_on_one_line(string name)
    {
        using var temp = new TempDirectory();
        var (id, create) = BadModels.Cases[name];
        var path = create(temp.Path);
        var before = File.Exists(path) ? File.ReadAllBytes(path) : null;

        var allocated = GC.GetAllocatedBytesForCurrentThread();
        var e = Assert.Throws<DeepSeekException>(() => ModelReader.Read(path));
        allocated = GC.GetAllocatedBytesForCurrentThread() - allocated;

        Assert.Equal(id, e.Id);
        var line = e.ToErrorLine();
        Assert.Matches(ErrorLine(), line);
        Assert.StartsWith($"error {id}: {path}: ", line, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', line);
        Assert.NotNull(e.Descriptor.Title);
        // No allocation sized by a declared length: the reader allocates in proportion to what the file really holds
        // (a truncated model's tensors up to the cut; a packed field cut short grows by doubling, hence 2x), never the
        // huge sizes some of these files declare.
        var present = File.Exists(path) ? new FileInfo(path).Length : 0;
        Assert.True(allocated < (2 * present) + (8 << 20), $"{name}: the reader allocated {allocated} bytes for a {present}-byte file");
        if (before is not null)
        {
            Assert.Equal(before, File.ReadAllBytes(path));
        }
    }

    [Fact]
    public void Every_diagnostic_id_is_unique_and_documented()
    {
        var ids = DiagnosticIds.All.Select(d => d.Id).ToArray();
        Assert.Equal(ids.Length, ids.Distinct().Count());
        var docs = File.ReadAllText(Path.Combine(TestAssets.DataDirectory, "..", "..", "docs", "diagnostics.md"));
        Assert.All(ids, id => Assert.Contains($"## {id}", docs, StringComparison.Ordinal));
    }

    [Fact]
    public void Every_thrown_id_has_a_bad_input_case_or_is_a_write_or_command_line_error()
    {
        var covered = BadModels.Cases.Values.Select(c => c.Id).ToHashSet();
        string[] elsewhere =
        [
            "DSB0006", "DSB0007", "DSB0008", "DSB0040", "DSB0041", "DSB0090", "DSB0091", "DSB0099",
            // Data folders: DeepSeek.Engine.Tests/Data (DataSetTests, NpyTests) has one bad-input case per id.
            "DSB0050", "DSB0051", "DSB0052", "DSB0053", "DSB0054", "DSB0055", "DSB0056",
            // Opset upgrade: DeepSeek.Engine.Tests/Passes/OpsetUpgradePassTests covers it (unknown and non-upgradable operators).
            "DSB0060",
            // Compression: DeepSeek.Engine.Tests (Compression, Profiles) and DeepSeek.Cli.Tests cover these.
            "DSB0061", "DSB0062", "DSB0063", "DSB0064", "DSB0065", "DSB0066", "DSB0067",
            // Non-finite weights: DeepSeek.Engine.Tests/Compression/NonFiniteWeightsTests and DeepSeek.Cli.Tests/NonFiniteWeightsTests.
            "DSB0023",
        ];
        Assert.All(DiagnosticIds.All, d => Assert.True(covered.Contains(d.Id) || elsewhere.Contains(d.Id), $"{d.Id} has no bad-input case"));
    }

    [GeneratedRegex(@"^error DSB\d{4}: .+: .+ — .+$")]
    private static partial Regex ErrorLine();
}
