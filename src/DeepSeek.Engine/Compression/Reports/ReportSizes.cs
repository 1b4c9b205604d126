using DeepSeek.Onnx.IO;

namespace DeepSeek.Engine.Compression.Reports;

/// <summary>The stored tensors of the source and of the compressed model, summed by operator and group (the HTML report's sizes).</summary>
/// <param name="Before">The source model's.</param>
/// <param name="After">The compressed model's.</param>
public sealed record ReportSizes(ModelSizeBreakdown Before, ModelSizeBreakdown After)
{
    /// <summary>Reads both models of <paramref name="report"/> from their paths and measures them.</summary>
    public static ReportSizes Measure(CompressionReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        return new ReportSizes(ModelSizeBreakdown.Measure(ModelReader.Read(report.Input)), ModelSizeBreakdown.Measure(ModelReader.Read(report.Output)));
    }
}
