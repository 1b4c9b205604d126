using System.Text.Json;
using DeepSeek.Engine.Compression.Reports;
using DeepSeek.Engine.Verification;
using DeepSeek.Onnx.Diagnostics;

namespace DeepSeek.Engine.Compression;

/// <summary>Writes reports, atomically: as JSON (schema: docs/compress-report.md), or as one self-contained HTML page.</summary>
public static class ReportWriter
{
    /// <summary>The report schema's version.</summary>
    public const int SchemaVersion = 2;

    /// <summary>Whether a report at <paramref name="path"/> is written as HTML: its name ends in <c>.html</c> or <c>.htm</c>.</summary>
    public static bool IsHtml(string path)
        => Path.GetExtension(path) is { } extension && (extension.Equals(".html", StringComparison.OrdinalIgnoreCase) || extension.Equals(".htm", StringComparison.OrdinalIgnoreCase));

    /// <summary>Writes <paramref name="report"/> to <paramref name="path"/> through a temporary file: HTML when
    /// <see cref="IsHtml"/>, else JSON.</summary>
    /// <param name="report">The report.</param>
    /// <param name="path">Where it goes.</param>
    /// <param name="sizes">For HTML, the models' sizes by operator and group; null: measured from the report's model paths.</param>
    public static void WriteFile(CompressionReport report, string path, ReportSizes? sizes = null)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (IsHtml(path))
        {
            WriteHtmlFile(report, path, sizes);
        }
        else
        {
            WriteAtomically(path, stream => Write(report, stream));
        }
    }

    /// <summary>Writes <paramref name="report"/> as HTML (docs/compress-report.md, "HTML report") to <paramref name="path"/>,
    /// whatever its name, through a temporary file.</summary>
    /// <param name="report">The report.</param>
    /// <param name="path">Where it goes.</param>
    /// <param name="sizes">The models' sizes by operator and group; null: measured from the report's model paths.</param>
    public static void WriteHtmlFile(CompressionReport report, string path, ReportSizes? sizes = null)
    {
        ArgumentNullException.ThrowIfNull(report);
        ArgumentNullException.ThrowIfNull(path);
        sizes ??= ReportSizes.Measure(report);
        WriteAtomically(path, stream => HtmlReportWriter.Write(report, sizes, stream));
    }

    /// <summary>Writes <c>deepseek recommend</c>'s page (<see cref="Reports.RecommendationHtmlWriter"/>) to <paramref name="path"/>
    /// through a temporary file.</summary>
    public static void WriteRecommendationFile(Recommendation recommendation, string path)
    {
        ArgumentNullException.ThrowIfNull(recommendation);
        ArgumentNullException.ThrowIfNull(path);
        WriteAtomically(path, stream => Reports.RecommendationHtmlWriter.Write(recommendation, stream));
    }

    private static void WriteAtomically(string path, Action<Stream> write)
    {
        var full = Path.GetFullPath(path);
        var temporary = Path.Combine(Path.GetDirectoryName(full)!, $".{Path.GetFileName(full)}.{Guid.NewGuid():N}.tmp");
        try
        {
            using (var stream = File.Create(temporary))
            {
                write(stream);
            }

            File.Move(temporary, full, overwrite: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new DeepSeekException(DiagnosticIds.WriteFailed, path, e.Message);
        }
        finally
        {
            if (File.Exists(temporary))
            {
                File.Delete(temporary);
            }
        }
    }

    /// <summary>Writes the report's JSON to a stream.</summary>
    public static void Write(CompressionReport report, Stream stream)
    {
        ArgumentNullException.ThrowIfNull(report);
        using var json = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true });
        json.WriteStartObject();
        json.WriteNumber("schemaVersion", SchemaVersion);
        json.WriteStartObject("input");
        json.WriteString("path", report.Input);
        json.WriteNumber("bytes", report.InputBytes);
        json.WriteEndObject();
        json.WriteStartObject("output");
        json.WriteString("path", report.Output);
        json.WriteNumber("bytes", report.OutputBytes);
        json.WriteEndObject();
        json.WriteNumber("sizeRatio", Math.Round(report.SizeRatio, 4));
        json.WriteString("profile", report.Profile);
        json.WriteString("quantize", report.Quantize);
        json.WriteString("recipe", report.Recipe);
        json.WriteStartArray("attempts");
        foreach (var attempt in report.Attempts)
        {
            json.WriteStringValue(attempt);
        }

        json.WriteEndArray();
        json.WriteStartArray("warnings");
        foreach (var warning in report.Warnings)
        {
            json.WriteStringValue(warning);
        }

        json.WriteEndArray();
        json.WriteStartArray("passes");
        foreach (var pass in report.Passes)
        {
            json.WriteStartObject();
            json.WriteString("name", pass.Result.Pass);
            json.WriteString("summary", pass.Result.Summary);
            json.WriteNumber("milliseconds", Math.Round(pass.Milliseconds, 1));
            json.WriteStartObject("counters");
            foreach (var (key, value) in pass.Result.Counters)
            {
                json.WriteNumber(key, value);
            }

            json.WriteEndObject();
            json.WriteEndObject();
        }

        json.WriteEndArray();
        json.WriteStartObject("sessionOptions");
        foreach (var (key, value) in report.SessionOptions)
        {
            json.WriteString(key, value);
        }

        json.WriteEndObject();
        WriteEvaluation(json, report.Evaluation);
        json.WriteString("budget", report.Budget);
        json.WriteStartArray("budgetChecks");
        foreach (var check in report.BudgetChecks)
        {
            json.WriteStartObject();
            json.WriteString("output", check.Output);
            json.WriteString("kind", OutputKinds.Name(check.Kind));
            json.WriteString("metric", check.Metric);
            WriteNullable(json, "value", check.Value);
            json.WriteNumber("threshold", Math.Round(check.Threshold, 6));
            json.WriteString("bound", check.AtLeast ? "min" : "max");
            json.WriteBoolean("met", check.Met);
            json.WriteEndObject();
        }

        json.WriteEndArray();
        json.WriteStartArray("sensitivity");
        foreach (var layer in report.Sensitivity)
        {
            json.WriteStartObject();
            json.WriteString("layer", layer.Layer);
            json.WriteString("opType", layer.OpType);
            WriteNullable(json, "cosine", layer.Cosine);
            json.WriteBoolean("keptInFloat", layer.KeptInFloat);
            json.WriteEndObject();
        }

        json.WriteEndArray();
        if (report.Pruning is { } pruning)
        {
            json.WriteStartObject("pruning");
            json.WriteString("requested", pruning.Requested);
            json.WriteNumber("requestedFraction", Math.Round(pruning.RequestedFraction, 6));
            json.WriteNumber("shippedFraction", Math.Round(pruning.ShippedFraction, 6));
            json.WriteNumber("modelFraction", Math.Round(pruning.ModelFraction, 6));
            json.WriteStartArray("layers");
            foreach (var layer in pruning.Layers)
            {
                json.WriteStartObject();
                json.WriteString("layer", layer.Layer);
                json.WriteString("kind", layer.Kind);
                json.WriteNumber("before", layer.Before);
                json.WriteNumber("after", layer.After);
                json.WriteNumber("sensitivity", Math.Round(layer.Sensitivity, 6));
                json.WriteEndObject();
            }

            json.WriteEndArray();
            json.WriteStartArray("tried");
            foreach (var tried in pruning.Tried)
            {
                json.WriteStringValue(tried);
            }

            json.WriteEndArray();
            json.WriteEndObject();
        }

        json.WriteStartObject("timingsMs");
        foreach (var (key, value) in report.TimingsMs)
        {
            json.WriteNumber(key, Math.Round(value, 1));
        }

        json.WriteEndObject();
        json.WriteEndObject();
    }

    /// <summary>Writes an evaluation as the <c>evaluation</c> object (also the body of <c>deepseek eval --json</c>).</summary>
    public static void WriteEvaluation(Utf8JsonWriter json, EvaluationResult evaluation, string name = "evaluation")
    {
        ArgumentNullException.ThrowIfNull(json);
        ArgumentNullException.ThrowIfNull(evaluation);
        json.WriteStartObject(name);
        json.WriteString("data", evaluation.Data);
        json.WriteNumber("samples", evaluation.Samples);
        json.WriteNumber("rows", evaluation.Rows);
        WriteNullable(json, "originalAccuracy", evaluation.OriginalAccuracy);
        WriteNullable(json, "compressedAccuracy", evaluation.CompressedAccuracy);
        WriteNullable(json, "accuracyDropPoints", evaluation.AccuracyDrop);
        json.WriteStartArray("outputs");
        foreach (var o in evaluation.Outputs)
        {
            json.WriteStartObject();
            json.WriteString("name", o.Output);
            json.WriteString("elementType", o.ElementType);
            json.WriteString("kind", OutputKinds.Name(o.Kind));
            json.WriteString("kindSource", o.KindSource);
            WriteNullable(json, "meanCosine", o.MeanCosine);
            WriteNullable(json, "minCosine", o.MinCosine);
            WriteNullable(json, "maxAbsoluteError", o.MaxAbsoluteError);
            WriteNullable(json, "maxRelativeError", o.MaxRelativeError);
            WriteNullable(json, "top1Agreement", o.Top1Agreement);
            WriteNullable(json, "exactAgreement", o.ExactAgreement);
            WriteIfSet(json, "klDivergence", o.KlDivergence);
            WriteIfSet(json, "pooledCosine", o.PooledCosine);
            WriteIfSet(json, "minPooledCosine", o.MinPooledCosine);
            WriteIfSet(json, "neighbourAgreement", o.NeighbourAgreement);
            WriteIfSet(json, "positionAgreement", o.PositionAgreement);
            WriteIfSet(json, "decodedAgreement", o.DecodedAgreement);
            WriteIfSet(json, "meanIoU", o.MeanIoU);
            WriteIfSet(json, "relativeL1", o.RelativeL1);
            json.WriteEndObject();
        }

        json.WriteEndArray();
        json.WriteEndObject();
    }

    /// <summary>A kind's figure: written only for the kinds that have it (a NaN as null).</summary>
    private static void WriteIfSet(Utf8JsonWriter json, string name, double? value)
    {
        if (value is not null)
        {
            WriteNullable(json, name, value);
        }
    }

    /// <summary>A number, or null when there is none or it is not finite (JSON has no NaN; a NaN metric is written as null).</summary>
    private static void WriteNullable(Utf8JsonWriter json, string name, double? value)
    {
        if (value is { } v && double.IsFinite(v))
        {
            json.WriteNumber(name, v);
        }
        else
        {
            json.WriteNull(name);
        }
    }
}
