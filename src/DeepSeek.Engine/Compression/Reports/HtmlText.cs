using System.Globalization;
using System.Net;

namespace DeepSeek.Engine.Compression.Reports;

/// <summary>Text for the HTML report: everything from a model is encoded; numbers are written in the invariant culture.</summary>
internal static class HtmlText
{
    private static readonly CultureInfo Invariant = CultureInfo.InvariantCulture;

    /// <summary>Text (from a model: untrusted) encoded for an element's content or a quoted attribute.</summary>
    public static string Encode(string? text) => WebUtility.HtmlEncode(text ?? "");

    /// <summary><paramref name="text"/> cut to <paramref name="max"/> characters (an ellipsis ends a cut one), then encoded.</summary>
    public static string EncodeCut(string? text, int max)
        => Encode(text is { Length: var n } && n > max ? string.Concat(text.AsSpan(0, max - 1), "…") : text);

    /// <summary>A byte count: <c>408,110</c>.</summary>
    public static string Bytes(long bytes) => bytes.ToString("N0", Invariant);

    /// <summary>A number in <paramref name="format"/>, or words for one that is not finite.</summary>
    public static string Number(double value, string format)
        => double.IsFinite(value) ? value.ToString(format, Invariant) : double.IsNaN(value) ? "not a number" : value > 0 ? "+∞" : "−∞";

    /// <summary>A share as a percentage: <c>25.6 %</c>.</summary>
    public static string Percent(double share, string format = "0.0") => Number(share * 100, format) + " %";

    /// <summary>A coordinate in an SVG attribute.</summary>
    public static string Coordinate(double value) => Math.Round(value, 1).ToString("0.#", Invariant);
}
