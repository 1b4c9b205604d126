using System.Globalization;
using Microsoft.ML.Tokenizers;

namespace DeepSeek.Runtime.Text;

/// <summary>
/// Turns text into a transformer's int64 inputs (<c>input_ids</c>, <c>attention_mask</c>, <c>token_type_ids</c>) with the
/// tokenizers of Microsoft.ML.Tokenizers, configured by a model's <c>Preprocess</c> metadata, for example
/// <c>bert;vocab=Models/vocab.txt;max=256</c>. Generated wrappers call it from their <c>Tokenize</c> and <c>Embed</c> methods.
/// </summary>
/// <remarks>
/// <para><b>Spec.</b> <c>KIND;key=value;...</c> (keys and kinds are case-insensitive, values are not; whitespace around
/// parts is ignored). Kinds and their keys:</para>
/// <list type="table">
/// <item><term><c>bert</c></term><description><c>vocab=PATH</c> (required; one WordPiece token a line, as BERT's
/// <c>vocab.txt</c>), <c>lowercase=true|false</c> (default <c>true</c>: uncased models). BERT's basic tokenization (punctuation,
/// CJK, accents), then WordPiece; each text is <c>[CLS] … [SEP]</c>.</description></item>
/// <item><term><c>wordpiece</c></term><description><c>vocab=PATH</c> (required), <c>lowercase=true|false</c> (default
/// <c>false</c>). WordPiece alone: no special tokens are added.</description></item>
/// <item><term><c>sentencepiece</c></term><description><c>model=PATH</c> (required; a SentencePiece <c>.model</c> file),
/// <c>bos=true|false</c> (default <c>true</c>) and <c>eos=true|false</c> (default <c>false</c>): whether each text starts with
/// the model's beginning-of-sentence and ends with its end-of-sentence token.</description></item>
/// <item><term><c>bpe</c></term><description><c>vocab=PATH</c> (required; <c>vocab.json</c>) and <c>merges=PATH</c> (required;
/// <c>merges.txt</c>). No special tokens are added.</description></item>
/// </list>
/// <para>Every kind takes <c>max=N</c>, the most tokens a text becomes, special tokens included (default 512, BERT's
/// position limit; at least the number of special tokens the kind adds, at most 1,048,576).</para>
/// <para><b>Paths</b> are relative to the base directory (normally <see cref="AppContext.BaseDirectory"/>) and must stay in
/// it: absolute paths, <c>..</c> segments and files that are links to somewhere outside it are refused (DSR0002). Both
/// <c>/</c> and <c>\</c> separate folders.</para>
/// <para><b>Errors</b> are thrown with a message that starts with a diagnostic id (docs/diagnostics.md):
/// <see cref="ArgumentException"/> for DSR0001 (the spec) and DSR0002 (a path outside the base directory),
/// <see cref="FileNotFoundException"/> for DSR0003 (a missing file), <see cref="InvalidDataException"/> for DSR0004 (a file
/// the library cannot read).</para>
/// <para><b>Truncation</b> works as Hugging Face tokenizers' (and so sentence-transformers'): the text's tokens are cut to
/// <see cref="MaxTokens"/> minus the special tokens, mid-word if need be, and the special tokens are added around them.</para>
/// <para><b>Allocation.</b> Microsoft.ML.Tokenizers 2.0.1 has no public encode method that writes into a caller's buffer:
/// each call returns a new list of ids (and a normalized copy of the text when the tokenizer normalizes, as BERT's
/// lowercasing does). <see cref="Encode(ReadOnlySpan{char}, Span{long}, Span{long}, Span{long})"/> allocates nothing of
/// its own beyond that call (about 400 bytes for a short sentence); docs/architecture.md has the measured bytes.</para>
/// <para>A <see cref="TextTokenizer"/> keeps no state between calls of its own.</para>
/// </remarks>
public sealed class TextTokenizer
{
    /// <summary>The default of <c>max</c>: BERT's position limit.</summary>
    private const int DefaultMaxTokens = 512;

    /// <summary>The largest <c>max</c> accepted.</summary>
    private const int LargestMaxTokens = 1 << 20;

    /// <summary>
    /// Tokens asked for beyond the budget, so that a tokenizer that stops at a word boundary (WordPiece does) still returns
    /// at least the budget when the text has that many: a word is at most 100 WordPiece tokens (longer words are one
    /// unknown token). When fewer come back and the text was not all read, the text is encoded again without a limit.
    /// </summary>
    private const int Slack = 128;

    private readonly Tokenizer _tokenizer;
    private readonly Kind _kind;
    private readonly int _prefixId;
    private readonly int _suffixId;
    private readonly int _budget;

    private TextTokenizer(Tokenizer tokenizer, Kind kind, int maxTokens, int prefixId, int suffixId)
    {
        _tokenizer = tokenizer;
        _kind = kind;
        MaxTokens = maxTokens;
        _prefixId = prefixId;
        _suffixId = suffixId;
        _budget = maxTokens - (prefixId >= 0 ? 1 : 0) - (suffixId >= 0 ? 1 : 0);
    }

    private enum Kind
    {
        Bert,
        WordPiece,
        SentencePiece,
        Bpe,
    }

    /// <summary>The most tokens one text becomes, special tokens included: the <c>max</c> of the spec.</summary>
    public int MaxTokens { get; }

    /// <summary>
    /// Creates the tokenizer a <c>Preprocess</c> spec describes (see the remarks on <see cref="TextTokenizer"/>), reading its
    /// files from <paramref name="baseDirectory"/>.
    /// </summary>
    /// <param name="spec">For example <c>bert;vocab=Models/vocab.txt;max=256</c>.</param>
    /// <param name="baseDirectory">The folder the spec's paths are relative to and must stay in; normally <see cref="AppContext.BaseDirectory"/>.</param>
    /// <exception cref="ArgumentNullException"><paramref name="spec"/> or <paramref name="baseDirectory"/> is null.</exception>
    /// <exception cref="ArgumentException">DSR0001: the spec is invalid; DSR0002: a path leaves <paramref name="baseDirectory"/>.</exception>
    /// <exception cref="FileNotFoundException">DSR0003: a file the spec names does not exist.</exception>
    /// <exception cref="InvalidDataException">DSR0004: a file the spec names cannot be read as what the kind needs.</exception>
    public static TextTokenizer FromSpec(string spec, string baseDirectory)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(baseDirectory);
        if (string.IsNullOrWhiteSpace(baseDirectory))
        {
            throw new ArgumentException("the base directory is empty", nameof(baseDirectory));
        }

        var parsed = TokenizerSpec.Parse(spec);
        var root = Path.GetFullPath(baseDirectory);
        return parsed.Kind switch
        {
            "bert" => CreateBert(parsed, root),
            "wordpiece" => CreateWordPiece(parsed, root),
            "sentencepiece" => CreateSentencePiece(parsed, root),
            _ => CreateBpe(parsed, root),
        };
    }

    /// <summary>
    /// Encodes <paramref name="text"/> into the first <see cref="MaxTokens"/> (or fewer) elements of the three spans and
    /// returns how many tokens it became. Each span must hold at least <see cref="MaxTokens"/> elements; everything after
    /// the tokens, to the end of each span, is set to 0 (padding id 0, mask 0), so a span of exactly <see cref="MaxTokens"/>
    /// is a padded model input, and the first <em>returned</em> elements are the unpadded one.
    /// </summary>
    /// <param name="text">The text.</param>
    /// <param name="inputIds">Receives the token ids (for BERT <c>[CLS]</c>=101 first and <c>[SEP]</c>=102 last).</param>
    /// <param name="attentionMask">Receives 1 for each token and 0 for the padding.</param>
    /// <param name="tokenTypeIds">Receives 0 everywhere (one segment).</param>
    /// <returns>The number of tokens, special tokens included: at most <see cref="MaxTokens"/>.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="text"/> is null.</exception>
    /// <exception cref="ArgumentException">A span is shorter than <see cref="MaxTokens"/>.</exception>
    public int Encode(string text, Span<long> inputIds, Span<long> attentionMask, Span<long> tokenTypeIds)
    {
        ArgumentNullException.ThrowIfNull(text);
        return Encode(text.AsSpan(), inputIds, attentionMask, tokenTypeIds);
    }

    /// <summary>
    /// Encodes <paramref name="text"/> as <see cref="Encode(string, Span{long}, Span{long}, Span{long})"/> does, from a span
    /// (a slice of a larger buffer, a stack buffer).
    /// </summary>
    /// <param name="text">The text.</param>
    /// <param name="inputIds">Receives the token ids; at least <see cref="MaxTokens"/> long.</param>
    /// <param name="attentionMask">Receives 1 for each token and 0 for the padding; at least <see cref="MaxTokens"/> long.</param>
    /// <param name="tokenTypeIds">Receives 0 everywhere; at least <see cref="MaxTokens"/> long.</param>
    /// <returns>The number of tokens, special tokens included: at most <see cref="MaxTokens"/>.</returns>
    /// <exception cref="ArgumentException">A span is shorter than <see cref="MaxTokens"/>.</exception>
    public int Encode(ReadOnlySpan<char> text, Span<long> inputIds, Span<long> attentionMask, Span<long> tokenTypeIds)
    {
        CheckLength(inputIds.Length, nameof(inputIds));
        CheckLength(attentionMask.Length, nameof(attentionMask));
        CheckLength(tokenTypeIds.Length, nameof(tokenTypeIds));

        var count = 0;
        if (_prefixId >= 0)
        {
            inputIds[count++] = _prefixId;
        }

        if (_budget > 0)
        {
            var pieces = EncodePieces(text);
            var take = Math.Min(pieces.Count, _budget);
            for (var i = 0; i < take; i++)
            {
                inputIds[count++] = pieces[i];
            }
        }

        if (_suffixId >= 0)
        {
            inputIds[count++] = _suffixId;
        }

        inputIds[count..].Clear();
        attentionMask[..count].Fill(1);
        attentionMask[count..].Clear();
        tokenTypeIds.Clear();
        return count;
    }

    /// <summary>The text's tokens without special tokens: at least the budget of them when the text has that many.</summary>
    private IReadOnlyList<int> EncodePieces(ReadOnlySpan<char> text)
    {
        var limit = _budget > int.MaxValue - Slack ? int.MaxValue : _budget + Slack;
        var ids = Encode(text, limit, out var normalized, out var consumed);

        // The library stops before a word that does not fit: fewer ids than the budget with text left over means a word of
        // more than Slack tokens was cut (trailing whitespace is left over without being a word).
        var length = normalized is null ? text.TrimEnd().Length : normalized.AsSpan().TrimEnd().Length;
        if (ids.Count < _budget && consumed < length)
        {
            ids = Encode(text, int.MaxValue, out _, out _);
        }

        return ids;
    }

    private IReadOnlyList<int> Encode(ReadOnlySpan<char> text, int limit, out string? normalized, out int consumed) => _kind switch
    {
        Kind.Bert => ((BertTokenizer)_tokenizer).EncodeToIds(text, limit, addSpecialTokens: false, out normalized, out consumed),
        Kind.SentencePiece => ((SentencePieceTokenizer)_tokenizer).EncodeToIds(
            text, addBeginningOfSentence: false, addEndOfSentence: false, limit, out normalized, out consumed),
        _ => _tokenizer.EncodeToIds(text, limit, out normalized, out consumed),
    };

    private void CheckLength(int length, string name)
    {
        if (length < MaxTokens)
        {
            throw new ArgumentException(
                string.Create(CultureInfo.InvariantCulture, $"{name} has {length} elements; the tokenizer writes up to MaxTokens = {MaxTokens}, so each span needs at least that many"),
                name);
        }
    }

    private static TextTokenizer CreateBert(TokenizerSpec spec, string root)
    {
        var (relative, path) = spec.File("vocab", root);
        var options = new BertOptions { LowerCaseBeforeTokenization = spec.Flag("lowercase", true) };
        var maxTokens = spec.MaxTokens(DefaultMaxTokens, LargestMaxTokens, specialTokens: 2);
        spec.CheckAllUsed();
        var tokenizer = Load(relative, path, "a BERT vocabulary (one WordPiece token a line, with [CLS], [SEP], [PAD] and [UNK])", () => BertTokenizer.Create(path, options));
        return new TextTokenizer(tokenizer, Kind.Bert, maxTokens, tokenizer.ClassificationTokenId, tokenizer.SeparatorTokenId);
    }

    private static TextTokenizer CreateWordPiece(TokenizerSpec spec, string root)
    {
        var (relative, path) = spec.File("vocab", root);
        var options = new WordPieceOptions();
        if (spec.Flag("lowercase", false))
        {
            options.Normalizer = new LowerCaseNormalizer();
        }

        var maxTokens = spec.MaxTokens(DefaultMaxTokens, LargestMaxTokens, specialTokens: 0);
        spec.CheckAllUsed();
        var tokenizer = Load(relative, path, "a WordPiece vocabulary (one token a line, with [UNK])", () => WordPieceTokenizer.Create(path, options));
        return new TextTokenizer(tokenizer, Kind.WordPiece, maxTokens, -1, -1);
    }

    private static TextTokenizer CreateSentencePiece(TokenizerSpec spec, string root)
    {
        var (relative, path) = spec.File("model", root);
        var bos = spec.Flag("bos", true);
        var eos = spec.Flag("eos", false);
        var maxTokens = spec.MaxTokens(DefaultMaxTokens, LargestMaxTokens, specialTokens: (bos ? 1 : 0) + (eos ? 1 : 0));
        spec.CheckAllUsed();
        var tokenizer = Load(relative, path, "a SentencePiece model (the .model protobuf file)", () =>
        {
            using var stream = File.OpenRead(path);
            return SentencePieceTokenizer.Create(stream, false, false);
        });
        return new TextTokenizer(tokenizer, Kind.SentencePiece, maxTokens, bos ? tokenizer.BeginningOfSentenceId : -1, eos ? tokenizer.EndOfSentenceId : -1);
    }

    private static TextTokenizer CreateBpe(TokenizerSpec spec, string root)
    {
        var (vocabRelative, vocab) = spec.File("vocab", root);
        var (mergesRelative, merges) = spec.File("merges", root);
        var maxTokens = spec.MaxTokens(DefaultMaxTokens, LargestMaxTokens, specialTokens: 0);
        spec.CheckAllUsed();
        var tokenizer = Load($"{vocabRelative}, {mergesRelative}", vocab, "a BPE vocabulary (vocab.json) and merges (merges.txt)", () => BpeTokenizer.Create(vocab, merges));
        return new TextTokenizer(tokenizer, Kind.Bpe, maxTokens, -1, -1);
    }

    private static T Load<T>(string relative, string path, string expected, Func<T> create)
    {
        try
        {
            return create();
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            throw new InvalidDataException(
                RuntimeDiagnostics.Format(RuntimeDiagnostics.FileInvalid, relative, $"Microsoft.ML.Tokenizers cannot read {path} as {expected}: {e.Message}",
                    "ship the tokenizer file the model was trained with (the one its Hugging Face repository has beside it), and check the spec's kind"),
                e);
        }
    }
}
