namespace DeepSeek.Onnx.Model;

/// <summary>One dimension of a declared shape: a fixed size, a named symbol (<c>N</c>, <c>batch</c>) or unknown.</summary>
/// <param name="Value">The fixed size, when the dimension has one.</param>
/// <param name="Symbol">The symbolic name, when the dimension has one.</param>
public readonly record struct Dimension(long? Value, string? Symbol)
{
    /// <summary>Whether the dimension is a fixed size.</summary>
    public bool IsFixed => Value.HasValue;

    /// <summary>The size, the symbol, or <c>?</c> when neither is known.</summary>
    public override string ToString() => Value?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? Symbol ?? "?";
}
