using System.Collections.Generic;
using System.Linq;

namespace DeepSeek.Torch.Tasks.Elf;

/// <summary>
/// What to do with a native library on a host: the libstdc++ versions it needs that the host's libstdc++ does not define
/// (<see cref="Missing"/>), and of those, the ones a relocation really uses (<see cref="Used"/>), which no patch can help.
/// </summary>
internal sealed record VersionPatchPlan(IReadOnlyList<VersionNeed> Missing, IReadOnlyList<string> Used)
{
    /// <summary>Nothing to do: the host has every version the library asks for.</summary>
    public bool LoadsAsIs => Missing.Count == 0;

    /// <summary>Marking <see cref="Missing"/> weak makes the library load: no relocation needs them.</summary>
    public bool CanPatch => Missing.Count > 0 && Used.Count == 0;

    public static VersionPatchPlan For(ElfFile library, IReadOnlyCollection<string> hostVersions)
    {
        var missing = library.VersionNeeds()
            .Where(n => n.File == LibStdCxx.SoName && !n.IsWeak && !hostVersions.Contains(n.Version))
            .ToList();
        var used = missing.Where(n => library.RelocationsUsingVersion(n.Index) > 0).Select(n => n.Version).ToList();
        return new VersionPatchPlan(missing, used);
    }

    /// <summary>Marks every missing need weak in <paramref name="library"/>'s bytes.</summary>
    public void Apply(ElfFile library)
    {
        foreach (var need in Missing)
        {
            library.MarkWeak(need);
        }
    }
}
