using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using DeepSeek.Cli.Output;
using DeepSeek.Engine.Compression;
using DeepSeek.Engine.Data;
using DeepSeek.Engine.Runtime;
using DeepSeek.Engine.Verification;
using DeepSeek.Onnx.IO;

namespace DeepSeek.Cli.Commands;

/// <summary><c>deepseek eval ORIGINAL COMPRESSED --data DIR [--json]</c>: how closely a compressed model follows its original.</summary>
internal static class EvalCommand
{
    public static Command Create(TextWriter output, TextWriter error, IProgress<string> progress)
    {
        var original = new Argument<string>("ORIGINAL") { Description = "The original model." };
        var compressed = new Argument<string>("COMPRESSED") { Description = "The compressed model." };
        var data = new Option<string>("--data") { Description = "Folder of sample inputs (and optional labels.npy).", Required = true };
        var json = new Option<bool>("--json") { Description = "Write the metrics as JSON." };
        var options = new Option<string[]>("--session-option") { Description = "key=value ONNX Runtime session config for the compressed model (repeatable).", AllowMultipleArgumentsPerToken = true };
        var kindOptions = new OutputKindOptions();
        var command = new Command("eval", "Compare a compressed model with its original on real inputs, with the figures of each output's kind (docs/recipes.md).")
        {
            original, compressed, data, json, options,
        };
        kindOptions.AddTo(command);
        command.SetAction(parse =>
        {
            var originalPath = parse.GetRequiredValue(original);
            return DeepSeekCli.Guard(error, originalPath, () =>
            {
                var source = ModelReader.Read(originalPath);
                var compressedPath = parse.GetRequiredValue(compressed);
                ModelReader.Read(compressedPath);
                var folder = parse.GetRequiredValue(data);
                var set = DataSet.Load(folder, source.Graph.Inputs);
                var inputs = set.Samples.Select(s => s.Inputs).ToList();
                var sampleNames = set.Samples.Select(s => s.Source).ToList();
                Evaluator.CheckInputsFinite(inputs, folder, sampleNames); // DSB0057, as compress does
                var sessionOptions = (parse.GetValue(options) ?? []).Select(o => o.Split('=', 2)).Where(p => p.Length == 2).ToDictionary(p => p[0], p => p[1], StringComparer.Ordinal);
                using var a = ModelSession.Open(source.SourcePath!, null);
                using var b = ModelSession.Open(Path.GetFullPath(compressedPath), sessionOptions);
                var kinds = OutputKindInference.Resolve(source, parse.GetValue(kindOptions.Task), kindOptions.ByOutput(parse));
                var result = Evaluator.Compare(a, b, inputs, set.HasLabels ? set.Samples.Select(s => s.Label ?? -1).ToList() : null, folder, compressedPath, progress,
                    sampleNames, kinds);
                if (parse.GetValue(json))
                {
                    JsonOutput.Write(output, writer =>
                    {
                        writer.WriteStartObject();
                        writer.WriteString("original", originalPath);
                        writer.WriteString("compressed", compressedPath);
                        ReportWriter.WriteEvaluation(writer, result);
                        writer.WriteEndObject();
                    });
                }
                else
                {
                    WriteMetrics(result, output);
                }

                return DeepSeekCli.Success;
            });
        });
        return command;
    }

    /// <summary>The line that says the evidence is random inputs; the build task logs lines starting "evidence:" at high importance.</summary>
    internal const string RandomEvidenceLine = "  evidence: " + Evaluator.RandomEvidence;

    internal static void WriteMetrics(EvaluationResult e, TextWriter o)
    {
        var c = CultureInfo.InvariantCulture;
        o.WriteLine(string.Create(c, $"  verified on {e.Samples} sample(s) from {e.Data}"));
        if (e.RandomInputs)
        {
            o.WriteLine(RandomEvidenceLine);
        }

        foreach (var m in e.Outputs)
        {
            var exact = m.ExactAgreement is { } share ? string.Create(c, $", equal elements {share:P2}") : "";
            o.WriteLine(string.Create(c, $"  {m.Output} ({m.ElementType}, {OutputKinds.Name(m.Kind)}): cosine mean {m.MeanCosine:F6} min {m.MinCosine:F6}, top-1 agreement {m.Top1Agreement:P2}, max abs error {m.MaxAbsoluteError:G4}, max rel error {m.MaxRelativeError:G4}{exact}"));
            if (KindFigures.Of(m) is { Count: > 0 } figures)
            {
                o.WriteLine("    " + string.Join(", ", figures.Select(f => f.Label + " " + f.Text)));
            }
        }

        if (e.OriginalAccuracy is { } before && e.CompressedAccuracy is { } after)
        {
            o.WriteLine(string.Create(c, $"  accuracy {before:P2} → {after:P2} ({e.AccuracyDrop:+0.00;-0.00;0.00} points lost)"));
        }
    }
}
