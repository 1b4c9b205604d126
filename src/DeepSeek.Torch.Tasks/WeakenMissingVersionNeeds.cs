using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using DeepSeek.Torch.Tasks.Elf;
using Microsoft.Build.Framework;
using Microsoft.Build.Utilities;

namespace DeepSeek.Torch.Tasks;

/// <summary>
/// For each native library: if it needs libstdc++ versions that this host's libstdc++ does not define (TorchSharp 0.107's
/// libLibTorchSharp.so asks GLIBCXX_3.4.32 of Debian 12's 3.4.30), and no relocation uses a symbol of those versions,
/// writes a copy with those needs marked weak to <see cref="OutputDirectory"/> and returns it in <see cref="Patched"/> with
/// the original's metadata. A library the host satisfies is left alone; one that cannot be patched safely gets DSB0070.
/// The package's file is never written.
/// </summary>
public sealed class WeakenMissingVersionNeeds : Task
{
    /// <summary>The native libraries to check (copy-local items).</summary>
    [Required]
    public ITaskItem[] Libraries { get; set; } = [];

    /// <summary>Where patched copies go (the intermediate folder).</summary>
    [Required]
    public string OutputDirectory { get; set; } = "";

    /// <summary>The host's libstdc++.so.6; found in the loader's folders when empty.</summary>
    public string? LibStdCxxPath { get; set; }

    /// <summary>Patched copies, with the metadata of the item each replaces and <c>OriginalItemSpec</c>.</summary>
    [Output]
    public ITaskItem[] Patched { get; set; } = [];

    /// <inheritdoc />
    public override bool Execute()
    {
        var host = string.IsNullOrEmpty(LibStdCxxPath) ? LibStdCxx.Find() : LibStdCxxPath;
        if (host is null || !File.Exists(host))
        {
            Log.LogMessage(MessageImportance.Low, "DeepSeek.Torch: no {0} found on this host; native libraries left as they are.", LibStdCxx.SoName);
            return true;
        }

        IReadOnlyCollection<string> provided;
        try
        {
            provided = ElfFile.Parse(File.ReadAllBytes(host)).VersionDefinitions();
        }
        catch (Exception e) when (e is ElfFormatException or IOException or UnauthorizedAccessException)
        {
            Log.LogMessage(MessageImportance.Low, "DeepSeek.Torch: {0} could not be read ({1}); native libraries left as they are.", host, e.Message);
            return true;
        }

        // The same library comes in several copy-local item groups: each file is read, checked and patched once.
        var patched = new List<ITaskItem>();
        foreach (var items in Libraries.GroupBy(l => l.GetMetadata("FullPath"), StringComparer.Ordinal))
        {
            if (Patch(items.Key, host!, provided) is not { } target)
            {
                continue;
            }

            foreach (var library in items)
            {
                var copy = new TaskItem(target);
                library.CopyMetadataTo(copy);
                copy.SetMetadata("OriginalItemSpec", library.ItemSpec);
                patched.Add(copy);
            }
        }

        Patched = [.. patched];
        return !Log.HasLoggedErrors;
    }

    /// <summary>The patched copy of <paramref name="source"/> (written when it differs), or null when it ships as it is.</summary>
    private string? Patch(string source, string host, IReadOnlyCollection<string> provided)
    {
        ElfFile elf;
        try
        {
            elf = ElfFile.Parse(File.ReadAllBytes(source));
        }
        catch (Exception e) when (e is ElfFormatException or IOException or UnauthorizedAccessException)
        {
            Log.LogWarning(null, "DSB0070", null, null, source, 0, 0, 0, 0, "{0} could not be read as an ELF library ({1}) and ships unchanged — if it fails to load, report it with the TorchSharp version", Path.GetFileName(source), e.Message);
            return null;
        }

        var plan = VersionPatchPlan.For(elf, provided);
        if (plan.LoadsAsIs)
        {
            Log.LogMessage(MessageImportance.Low, "DeepSeek.Torch: {0} loads with {1}; left as it is.", source, host);
            return null;
        }

        if (!plan.CanPatch)
        {
            Log.LogWarning(null, "DSB0070", null, null, source, 0, 0, 0, 0, "{0} needs {1} from libstdc++, which {2} lacks, and uses symbols of it, so it cannot be patched and will not load here — install a newer libstdc++ (GCC 13 or later runtime) or build on a newer distribution", Path.GetFileName(source), string.Join(", ", plan.Used), host);
            return null;
        }

        plan.Apply(elf);
        Directory.CreateDirectory(OutputDirectory);
        var target = Path.GetFullPath(Path.Combine(OutputDirectory, Path.GetFileName(source)));
        if (!File.Exists(target) || !File.ReadAllBytes(target).AsSpan().SequenceEqual(elf.Bytes))
        {
            var temp = target + ".tmp";
            File.WriteAllBytes(temp, elf.Bytes);
            if (File.Exists(target))
            {
                File.Delete(target);
            }

            File.Move(temp, target);
        }

        Log.LogMessage(MessageImportance.Normal, "DeepSeek.Torch: {0} needs {1} from libstdc++, which {2} lacks; no relocation uses it, so the app gets a copy with that need made weak: {3}", Path.GetFileName(source), string.Join(", ", plan.Missing.Select(n => n.Version)), host, target);
        return target;
    }
}
