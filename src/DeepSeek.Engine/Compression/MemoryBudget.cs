using System.Globalization;
using DeepSeek.Onnx.Diagnostics;

namespace DeepSeek.Engine.Compression;

/// <summary>
/// How much memory the engine may use (<c>--max-memory</c>, <c>DeepSeekMaxMemory</c>): models whose weights fit run whole in
/// ONNX Runtime, larger ones block by block (<see cref="Runtime.BlockRunner"/>), and verification runs the original and the
/// compressed model one after the other instead of side by side. Default: half the memory this process may use (the
/// machine's, or its container's limit).
/// </summary>
public static class MemoryBudget
{
    /// <summary>Half the memory available to this process.</summary>
    public static long FromMachine() => Math.Max(256L << 20, GC.GetGCMemoryInfo().TotalAvailableMemoryBytes / 2);

    /// <summary>
    /// Reads a size: a number of bytes, or a number with <c>KB</c>, <c>MB</c>, <c>GB</c> or <c>TB</c> (powers of 1024; <c>K</c>,
    /// <c>M</c>, <c>G</c>, <c>T</c>, <c>KiB</c>… too), at least 64 MB.
    /// </summary>
    /// <exception cref="DeepSeekException">DSB0065 naming <paramref name="option"/> for anything else.</exception>
    public static long Parse(string text, string option = "--max-memory")
    {
        ArgumentNullException.ThrowIfNull(text);
        var trimmed = text.Trim();
        var digits = trimmed.TakeWhile(c => char.IsDigit(c) || c == '.').Count();
        var unit = trimmed[digits..].Trim().ToUpperInvariant().Replace("IB", "B", StringComparison.Ordinal);
        long? scale = unit switch
        {
            "" or "B" => 1,
            "K" or "KB" => 1L << 10,
            "M" or "MB" => 1L << 20,
            "G" or "GB" => 1L << 30,
            "T" or "TB" => 1L << 40,
            _ => null,
        };
        if (scale is null || !double.TryParse(trimmed[..digits], NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var number)
            || number * scale.Value < 64 << 20 || number * scale.Value > long.MaxValue / 2)
        {
            throw new DeepSeekException(DiagnosticIds.InvalidOption, option, $"{Names.Quote(text)} is not a memory size of at least 64 MB",
                "give a size such as 3GB, 2500MB or 12G");
        }

        return (long)(number * scale.Value);
    }

    /// <summary>The size as people read it (<c>3.0 GB</c>).</summary>
    public static string Format(long bytes) => string.Create(CultureInfo.InvariantCulture, $"{bytes / (double)(1L << 30):0.0} GB");
}
