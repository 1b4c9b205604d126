using System.Text;

namespace DeepSeek.Onnx.Diagnostics;

/// <summary>Renders names taken from a model (untrusted) safely inside one-line messages.</summary>
public static class Names
{
    private const int MaxLength = 120;

    /// <summary>Quotes a model-provided name: control characters escaped, long names cut.</summary>
    public static string Quote(string? name)
    {
        if (string.IsNullOrEmpty(name))
        {
            return "''";
        }

        var builder = new StringBuilder(Math.Min(name.Length, MaxLength) + 2);
        builder.Append('\'');
        foreach (var c in name.Length > MaxLength ? name.AsSpan(0, MaxLength) : name.AsSpan())
        {
            if (char.IsControl(c) || c == '\'')
            {
                builder.Append("\\u").Append(((int)c).ToString("x4", System.Globalization.CultureInfo.InvariantCulture));
            }
            else
            {
                builder.Append(c);
            }
        }

        if (name.Length > MaxLength)
        {
            builder.Append('…');
        }

        return builder.Append('\'').ToString();
    }
}
