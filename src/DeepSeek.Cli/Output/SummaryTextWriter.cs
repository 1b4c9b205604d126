using System.Globalization;
using DeepSeek.Onnx.Inspection;
using DeepSeek.Onnx.Model;

namespace DeepSeek.Cli.Output;

/// <summary>Writes a <see cref="ModelSummary"/> for people.</summary>
internal static class SummaryTextWriter
{
    public static void Write(ModelSummary s, TextWriter o)
    {
        var c = CultureInfo.InvariantCulture;
        o.WriteLine($"Model       {s.File}");
        o.WriteLine($"IR version  {s.IrVersion}");
        o.WriteLine($"Producer    {Or(s.ProducerName)} {s.ProducerVersion}".TrimEnd());
        o.WriteLine($"Opsets      {string.Join(", ", s.Opsets.Select(x => $"{x.DisplayDomain} {x.Version}"))}");
        WriteValues(o, "Inputs", s.Inputs);
        WriteValues(o, "Outputs", s.Outputs);
        o.WriteLine($"Operators   {s.NodeCount} nodes, {s.Operators.Count} kinds");
        var width = s.Operators.Count == 0 ? 0 : s.Operators.Max(x => x.DisplayName.Length);
        foreach (var op in s.Operators)
        {
            o.WriteLine($"  {op.DisplayName.PadRight(width)}  {op.Count,6}");
        }

        var p = s.Parameters;
        o.WriteLine(string.Create(c, $"Parameters  {p.Count:N0} in {p.Tensors} tensors, {Bytes(p.Bytes)}"));
        foreach (var g in p.ByDataType)
        {
            o.WriteLine(string.Create(c, $"  {g.Key,-20} {g.Count,14:N0}  {Bytes(g.Bytes),10}  ({g.Tensors} tensors)"));
        }

        o.WriteLine("Stored in");
        foreach (var g in p.ByLocation)
        {
            o.WriteLine(string.Create(c, $"  {g.Key,-20} {g.Count,14:N0}  {Bytes(g.Bytes),10}  ({g.Tensors} tensors)"));
        }

        foreach (var file in p.ExternalFiles)
        {
            o.WriteLine($"  external file: {file}");
        }
    }

    private static void WriteValues(TextWriter o, string title, IReadOnlyList<ValueInfo> values)
    {
        o.WriteLine(title);
        var width = values.Count == 0 ? 0 : values.Max(v => v.Name.Length);
        foreach (var v in values)
        {
            var type = v.Kind == ValueKind.Tensor ? v.ElementTypeName : v.Kind.ToString().ToLowerInvariant();
            o.WriteLine($"  {v.Name.PadRight(width)}  {type,-8} {v.ShapeText}");
        }
    }

    private static string Or(string text) => text.Length == 0 ? "(unknown)" : text;

    private static string Bytes(long bytes) => bytes switch
    {
        >= 1L << 30 => string.Create(CultureInfo.InvariantCulture, $"{bytes / (double)(1L << 30):F2} GiB"),
        >= 1L << 20 => string.Create(CultureInfo.InvariantCulture, $"{bytes / (double)(1L << 20):F2} MiB"),
        >= 1L << 10 => string.Create(CultureInfo.InvariantCulture, $"{bytes / 1024.0:F1} KiB"),
        _ => string.Create(CultureInfo.InvariantCulture, $"{bytes} B"),
    };
}
