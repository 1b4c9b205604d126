namespace DeepSeek.Engine.Passes;

/// <summary>What a pass did: a one-line summary and counters (nodes rewritten, tensors converted, bytes saved...).</summary>
/// <param name="Pass">The pass's name.</param>
/// <param name="Summary">One line for people.</param>
/// <param name="Counters">Named counts for the report.</param>
public sealed record PassResult(string Pass, string Summary, IReadOnlyDictionary<string, long> Counters)
{
    /// <summary>A result with no counters.</summary>
    public static PassResult Of(string pass, string summary) => new(pass, summary, new Dictionary<string, long>());
}
