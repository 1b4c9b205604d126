namespace DeepSeek.Runtime.Text;

/// <summary>
/// Resolves a file a spec names inside the app's folder, as DeepSeek.Onnx resolves external data: the path must be
/// relative, have no <c>..</c> segment, and not be a link whose target is outside the folder (DSR0002); the file must exist
/// (DSR0003).
/// </summary>
internal static class SpecPaths
{
    /// <summary>The parameter of <see cref="TextTokenizer.FromSpec"/> a refused path came from.</summary>
    private const string SpecParameter = "spec";

    private static readonly StringComparison PathComparison = OperatingSystem.IsWindows() || OperatingSystem.IsMacOS()
        ? StringComparison.OrdinalIgnoreCase
        : StringComparison.Ordinal;

    /// <summary>The full path of <paramref name="relative"/> inside <paramref name="root"/> (a full path).</summary>
    public static string Resolve(string relative, string root)
    {
        var normalized = relative.Replace('\\', '/');
        if (Path.IsPathRooted(relative) || Path.IsPathRooted(normalized) || normalized.StartsWith('/') || HasDriveOrStream(normalized))
        {
            throw Outside(relative, root, "the path is absolute", SpecParameter);
        }

        if (normalized.Split('/').Any(segment => segment == ".."))
        {
            throw Outside(relative, root, "the path has a '..' segment", SpecParameter);
        }

        var rootWithSeparator = Path.EndsInDirectorySeparator(root) ? root : root + Path.DirectorySeparatorChar;
        var full = Path.GetFullPath(Path.Combine(root, normalized.Replace('/', Path.DirectorySeparatorChar)));
        if (!full.StartsWith(rootWithSeparator, PathComparison))
        {
            throw Outside(relative, root, "the path leaves the folder", SpecParameter);
        }

        if (!File.Exists(full))
        {
            var what = Directory.Exists(full) ? "is a folder, not a file" : "does not exist";
            throw new FileNotFoundException(
                RuntimeDiagnostics.Format(RuntimeDiagnostics.FileMissing, relative, $"{full} {what}",
                    "ship the file with the app: add it to the project with CopyToOutputDirectory=PreserveNewest (or as Content), at the path the Preprocess spec names relative to the app folder"),
                full);
        }

        var target = new FileInfo(full).ResolveLinkTarget(returnFinalTarget: true);
        if (target is not null && !Path.GetFullPath(target.FullName).StartsWith(rootWithSeparator, PathComparison))
        {
            throw Outside(relative, root, $"the file is a link to {target.FullName}", SpecParameter);
        }

        return full;
    }

    /// <summary>A Windows drive (<c>C:</c>) or an NTFS stream name: a ':' anywhere.</summary>
    private static bool HasDriveOrStream(string path) => OperatingSystem.IsWindows() && path.Contains(':', StringComparison.Ordinal);

    private static ArgumentException Outside(string relative, string root, string problem, string paramName)
        => new(RuntimeDiagnostics.Format(RuntimeDiagnostics.PathOutsideBase, relative, $"{problem}, outside the app folder {root}",
            "name the file by a path relative to the app folder that stays inside it (for example Models/vocab.txt), and copy the file there"), paramName);
}
