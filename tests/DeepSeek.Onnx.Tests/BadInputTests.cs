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

    /// <summary>
    /// Every id has a test that produces it: a case in the bad-input table above, or a test elsewhere in tests/ that names
    /// it as a string (<c>"DSB0040"</c>, <c>error DSB0040:</c>) or as its descriptor (<c>DiagnosticIds.WriteFailed</c>).
    /// No list of exceptions: an id added without a test fails here.
    /// </summary>
    [Fact]
    public void Every_diagnostic_id_has_a_test_that_produces_it()
    {
        var tests = Path.Combine(TestAssets.RepositoryRoot, "tests");
        var sources = Directory.EnumerateFiles(tests, "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal)
                && !f.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}", StringComparison.Ordinal)
                && Path.GetFileName(f) != $"{nameof(BadInputTests)}.cs")
            .Select(File.ReadAllText)
            .ToArray();
        Assert.True(sources.Length > 20, $"found {sources.Length} test sources under {tests}");
        var fields = typeof(DiagnosticIds).GetFields().Where(f => f.FieldType == typeof(DiagnosticDescriptor))
            .ToDictionary(f => ((DiagnosticDescriptor)f.GetValue(null)!).Id, f => f.Name);
        var table = BadModels.Cases.Values.Select(c => c.Id).ToHashSet();

        var missing = DiagnosticIds.All.Select(d => d.Id)
            .Where(id => !table.Contains(id) && !sources.Any(s => s.Contains($"\"{id}\"", StringComparison.Ordinal)
                || s.Contains($"error {id}:", StringComparison.Ordinal) || s.Contains($"DiagnosticIds.{fields[id]}", StringComparison.Ordinal)))
            .ToArray();
        Assert.True(missing.Length == 0, $"no test produces {string.Join(", ", missing)}");
    }

    [GeneratedRegex(@"^error DSB\d{4}: .+: .+ — .+$")]
    private static partial Regex ErrorLine();
}
