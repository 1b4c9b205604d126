using System.Diagnostics;
using DeepSeek.Onnx.Diagnostics;
using DeepSeek.Onnx.Inspection;
using DeepSeek.Onnx.IO;
using DeepSeek.Onnx.Model;
using DeepSeek.Testing;
using Google.Protobuf;
using Xunit.Abstractions;

namespace DeepSeek.Onnx.Tests;

/// <summary>
/// Flips, cuts and splices bytes of real models thousands of times: every case must end in a valid model (which is then
/// inspected and written) or in a DeepSeek diagnostic, never in another exception and never in a hang.
/// Set DEEPSEEK_MUTATIONS to run more (or fewer) cases; the seed is printed so that a failure can be replayed.
/// </summary>
public sealed class MutationTests(ITestOutputHelper output)
{
    private static readonly TimeSpan PerCaseLimit = TimeSpan.FromSeconds(20);

    [Fact]
    public void Mutated_ResNet18_gives_a_valid_model_or_a_diagnostic()
        => Run(File.ReadAllBytes(TestAssets.ResNet18), Count("DEEPSEEK_MUTATIONS", 2500), seed: 20261129);

    [Fact]
    public void Mutated_small_model_with_constants_and_external_data_gives_a_valid_model_or_a_diagnostic()
    {
        using var temp = new TempDirectory();
        var external = MlpFiles.Write(temp, externalThreshold: 300).External;
        Run(File.ReadAllBytes(external), Count("DEEPSEEK_MUTATIONS", 2500) * 8, seed: 7, baseDirectory: temp.Path);
    }

    private void Run(byte[] original, int cases, int seed, string? baseDirectory = null)
    {
        using var temp = new TempDirectory();
        baseDirectory ??= temp.Path;
        var random = new Random(seed);
        var outcomes = new SortedDictionary<string, int>(StringComparer.Ordinal);
        var work = (byte[])original.Clone();
        var clock = Stopwatch.StartNew();
        for (var i = 0; i < cases; i++)
        {
            var (kind, mutant) = Mutate(original, work, random);
            var run = Task.Run(() => Outcome(mutant, baseDirectory, i));
            Assert.True(run.Wait(PerCaseLimit), $"case {i} ({kind}, seed {seed}) did not finish in {PerCaseLimit}");
            var outcome = $"{kind} → {run.Result}";
            outcomes[outcome] = outcomes.GetValueOrDefault(outcome) + 1;
            if (kind == "flip")
            {
                original.AsSpan().CopyTo(work); // undo the in-place flip
            }
        }

        foreach (var (outcome, count) in outcomes)
        {
            output.WriteLine($"{count,6}  {outcome}");
        }

        output.WriteLine($"{cases} cases, seed {seed}, {clock.Elapsed.TotalSeconds:F1} s");
        // The mutations must reach both ends: some mutants stay valid and some are refused.
        Assert.Contains(outcomes.Keys, k => k.EndsWith("valid", StringComparison.Ordinal));
        Assert.Contains(outcomes.Keys, k => k.Contains("DSB", StringComparison.Ordinal));
    }

    private static string Outcome(byte[] mutant, string baseDirectory, int index)
    {
        try
        {
            var model = ModelReader.Parse(mutant, "mutant.onnx", baseDirectory);
            ModelInspector.Inspect(model);
            if (index % 16 == 0)
            {
                // A valid mutant must also be writable and read back the same.
                var again = ModelReader.Parse(model.Proto.ToByteArray(), "again.onnx", baseDirectory);
                Assert.Equal(model.Proto, again.Proto);
            }

            return "valid";
        }
        catch (DeepSeekException e)
        {
            Assert.DoesNotContain('\n', e.ToErrorLine());
            return e.Id;
        }
    }

    /// <summary>One mutation. Positions favour the first and last 64 KiB, where a model's graph structure lives.</summary>
    private static (string Kind, byte[] Mutant) Mutate(byte[] original, byte[] work, Random random)
    {
        int Position(int length)
        {
            var window = Math.Min(length, 64 << 10);
            return random.Next(10) switch
            {
                < 4 => random.Next(window),
                < 7 => length - 1 - random.Next(window),
                _ => random.Next(length),
            };
        }

        switch (random.Next(3))
        {
            case 0:
                var flips = 1 + random.Next(8);
                for (var f = 0; f < flips; f++)
                {
                    work[Position(work.Length)] ^= (byte)(1 + random.Next(255));
                }

                return ("flip", work);
            case 1:
                return ("cut", original[..Position(original.Length)]);
            default:
                var from = Position(original.Length);
                var length = 1 + random.Next(Math.Min(256, original.Length - from));
                var at = Position(original.Length);
                var chunk = original.AsSpan(from, length);
                return random.Next(2) == 0
                    ? ("splice-insert", [.. original.AsSpan(0, at), .. chunk, .. original.AsSpan(at)])
                    : ("splice-overwrite", Overwrite(original, chunk, at));
        }
    }

    private static byte[] Overwrite(byte[] original, ReadOnlySpan<byte> chunk, int at)
    {
        var copy = (byte[])original.Clone();
        chunk[..Math.Min(chunk.Length, copy.Length - at)].CopyTo(copy.AsSpan(at));
        return copy;
    }

    private static int Count(string variable, int fallback)
        => int.TryParse(Environment.GetEnvironmentVariable(variable), out var n) && n > 0 ? n : fallback;
}
