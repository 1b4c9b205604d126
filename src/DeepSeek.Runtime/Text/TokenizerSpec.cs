using System.Globalization;

namespace DeepSeek.Runtime.Text;

/// <summary>
/// A parsed <c>Preprocess</c> spec: <c>KIND;key=value;...</c>. Reading a key marks it used; <see cref="CheckAllUsed"/>
/// refuses keys the kind does not read, so a misspelt option is an error rather than a silent default.
/// </summary>
internal sealed class TokenizerSpec
{
    private static readonly string[] Kinds = ["bert", "wordpiece", "sentencepiece", "bpe"];

    private readonly string _text;
    private readonly Dictionary<string, string> _options;
    private readonly HashSet<string> _used = new(StringComparer.OrdinalIgnoreCase);

    private TokenizerSpec(string text, string kind, Dictionary<string, string> options)
    {
        _text = text;
        Kind = kind;
        _options = options;
    }

    /// <summary>The kind, lower case: one of <c>bert</c>, <c>wordpiece</c>, <c>sentencepiece</c>, <c>bpe</c>.</summary>
    public string Kind { get; }

    /// <summary>Parses the spec's syntax and kind (DSR0001); the keys are checked as the kind reads them.</summary>
    public static TokenizerSpec Parse(string text)
    {
        var parts = text.Split(';');
        var kind = parts[0].Trim().ToLowerInvariant();
        if (kind.Length == 0)
        {
            throw Invalid(text, "the spec names no tokenizer kind", "start it with one of bert, wordpiece, sentencepiece, bpe, for example 'bert;vocab=Models/vocab.txt;max=256'");
        }

        if (Array.IndexOf(Kinds, kind) < 0)
        {
            throw Invalid(text, $"'{parts[0].Trim()}' is not a tokenizer kind", "use one of bert, wordpiece, sentencepiece, bpe");
        }

        var options = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        for (var i = 1; i < parts.Length; i++)
        {
            var part = parts[i].Trim();
            if (part.Length == 0)
            {
                continue;
            }

            var equals = part.IndexOf('=', StringComparison.Ordinal);
            if (equals <= 0)
            {
                throw Invalid(text, $"'{part}' is not key=value", "write each option as key=value, separated by ';'");
            }

            var key = part[..equals].Trim();
            var value = part[(equals + 1)..].Trim();
            if (!options.TryAdd(key, value))
            {
                throw Invalid(text, $"the option '{key}' is given twice", "keep one");
            }
        }

        return new TokenizerSpec(text, kind, options);
    }

    /// <summary>The file a path option names, resolved inside <paramref name="root"/> (DSR0001–DSR0003).</summary>
    public (string Relative, string FullPath) File(string key, string root)
    {
        if (!TryGet(key, out var relative) || relative.Length == 0)
        {
            throw Invalid(_text, $"the {Kind} tokenizer needs '{key}=PATH'", $"add ';{key}=' with the file's path relative to the app folder");
        }

        return (relative, SpecPaths.Resolve(relative, root));
    }

    /// <summary>A <c>true|false</c> option, or <paramref name="default"/> when absent.</summary>
    public bool Flag(string key, bool @default)
    {
        if (!TryGet(key, out var value))
        {
            return @default;
        }

        if (bool.TryParse(value, out var flag))
        {
            return flag;
        }

        throw Invalid(_text, $"{key}='{value}' is not true or false", $"write {key}=true or {key}=false");
    }

    /// <summary>The <c>max</c> option: at least <paramref name="specialTokens"/> (and 1), at most <paramref name="largest"/>.</summary>
    public int MaxTokens(int @default, int largest, int specialTokens)
    {
        if (!TryGet("max", out var value))
        {
            return @default;
        }

        var smallest = Math.Max(1, specialTokens);
        if (!int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var max) || max < smallest || max > largest)
        {
            throw Invalid(_text, $"max='{value}' is not a whole number from {smallest} to {largest}",
                "set max to the model's sequence length (256 or 512 for most BERT models), special tokens included");
        }

        return max;
    }

    /// <summary>Refuses options the kind did not read.</summary>
    public void CheckAllUsed()
    {
        foreach (var key in _options.Keys)
        {
            if (!_used.Contains(key))
            {
                throw Invalid(_text, $"the {Kind} tokenizer has no option '{key}'", Kind switch
                {
                    "bert" => "its options are vocab, max and lowercase",
                    "wordpiece" => "its options are vocab, max and lowercase",
                    "sentencepiece" => "its options are model, max, bos and eos",
                    _ => "its options are vocab, merges and max",
                });
            }
        }
    }

    private bool TryGet(string key, out string value)
    {
        _used.Add(key);
        return _options.TryGetValue(key, out value!);
    }

    private static ArgumentException Invalid(string spec, string problem, string action)
        => new(RuntimeDiagnostics.Format(RuntimeDiagnostics.InvalidSpec, $"Preprocess '{spec}'", problem, action), nameof(spec));
}
