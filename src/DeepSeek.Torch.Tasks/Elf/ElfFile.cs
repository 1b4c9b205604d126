using System;
using System.Collections.Generic;
using System.Text;

namespace DeepSeek.Torch.Tasks.Elf;

/// <summary>
/// The parts of a 64-bit little-endian ELF shared object that symbol versioning needs: section headers, the dynamic
/// string table, version needs (<c>.gnu.version_r</c>), version definitions (<c>.gnu.version_d</c>), the version index of
/// each dynamic symbol (<c>.gnu.version</c>) and the symbols that relocations name. Every offset is checked against the
/// file; a malformed file gives an <see cref="ElfFormatException"/>, never an out-of-range read.
/// </summary>
internal sealed class ElfFile
{
    private const uint ShtRela = 4;
    private const uint ShtRel = 9;
    private const uint ShtDynsym = 11;
    private const uint ShtGnuVerdef = 0x6ffffffd;
    private const uint ShtGnuVerneed = 0x6ffffffe;
    private const uint ShtGnuVersym = 0x6fffffff;

    private readonly byte[] data;
    private readonly List<Section> sections = new();

    private ElfFile(byte[] data)
    {
        this.data = data;
        if (data.Length < 64 || data[0] != 0x7f || data[1] != (byte)'E' || data[2] != (byte)'L' || data[3] != (byte)'F')
        {
            throw new ElfFormatException("not an ELF file");
        }

        if (data[4] != 2 || data[5] != 1)
        {
            throw new ElfFormatException("not a 64-bit little-endian ELF file");
        }

        var sectionOffset = U64(0x28);
        var entrySize = U16(0x3a);
        var count = U16(0x3c);
        if (count == 0 || entrySize < 64)
        {
            throw new ElfFormatException("no section headers");
        }

        for (var i = 0; i < count; i++)
        {
            var at = Checked(sectionOffset + ((ulong)i * entrySize), 64);
            sections.Add(new Section(U32(at + 4), U64(at + 0x18), U64(at + 0x20), U32(at + 0x28), U32(at + 0x2c), U64(at + 0x38)));
        }
    }

    /// <summary>The file's bytes; <see cref="MarkWeak"/> changes them in place.</summary>
    public byte[] Bytes => data;

    public static ElfFile Parse(byte[] data) => new(data ?? throw new ArgumentNullException(nameof(data)));

    /// <summary>Every version this object needs from another: file, version name, flags, index, and where the entry is.</summary>
    public IReadOnlyList<VersionNeed> VersionNeeds()
    {
        var needs = new List<VersionNeed>();
        foreach (var section in sections)
        {
            if (section.Type != ShtGnuVerneed)
            {
                continue;
            }

            var strings = StringTable(section);
            var at = section.Offset;
            for (var guard = 0; guard < 4096; guard++)
            {
                var entry = Checked(at, 16);
                var auxCount = U16(entry + 2);
                var file = Text(strings, U32(entry + 4));
                var aux = entry + U32(entry + 8);
                for (var k = 0; k < auxCount; k++)
                {
                    var auxEntry = Checked(aux, 16);
                    needs.Add(new VersionNeed(file, Text(strings, U32(auxEntry + 8)), U16(auxEntry + 4), U16(auxEntry + 6), (long)auxEntry));
                    var nextAux = U32(auxEntry + 12);
                    if (nextAux == 0)
                    {
                        break;
                    }

                    aux = auxEntry + nextAux;
                }

                var next = U32(entry + 12);
                if (next == 0)
                {
                    return needs;
                }

                at = entry + next;
            }

            throw new ElfFormatException("version needs do not end");
        }

        return needs;
    }

    /// <summary>Every version this object defines (a library's own versions, such as libstdc++'s GLIBCXX_3.4.30).</summary>
    public IReadOnlyCollection<string> VersionDefinitions()
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var section in sections)
        {
            if (section.Type != ShtGnuVerdef)
            {
                continue;
            }

            var strings = StringTable(section);
            var at = section.Offset;
            for (var guard = 0; guard < 4096; guard++)
            {
                var entry = Checked(at, 20);
                var aux = Checked(entry + U32(entry + 12), 8);
                names.Add(Text(strings, U32(aux)));
                var next = U32(entry + 16);
                if (next == 0)
                {
                    return names;
                }

                at = entry + next;
            }

            throw new ElfFormatException("version definitions do not end");
        }

        return names;
    }

    /// <summary>How many relocations name a dynamic symbol bound to version index <paramref name="versionIndex"/>.</summary>
    public int RelocationsUsingVersion(int versionIndex)
    {
        var versym = sections.Find(s => s.Type == ShtGnuVersym);
        if (versym is null)
        {
            return 0;
        }

        var symbolCount = versym.Size / 2;
        var uses = 0;
        foreach (var section in sections)
        {
            if (section.Type is not (ShtRela or ShtRel) || section.Link >= sections.Count || sections[(int)section.Link].Type != ShtDynsym)
            {
                continue;
            }

            var entrySize = section.EntrySize != 0 ? section.EntrySize : (section.Type == ShtRela ? 24UL : 16UL);
            Checked(section.Offset, section.Size);
            for (ulong at = 0; at + entrySize <= section.Size; at += entrySize)
            {
                var symbol = U64(section.Offset + at + 8) >> 32;
                if (symbol != 0 && symbol < symbolCount && (U16(Checked(versym.Offset + (symbol * 2), 2)) & 0x7fff) == versionIndex)
                {
                    uses++;
                }
            }
        }

        return uses;
    }

    /// <summary>Marks a needed version weak (VER_FLG_WEAK): the dynamic loader then accepts a library that lacks it.</summary>
    public void MarkWeak(VersionNeed need)
    {
        var at = Checked((ulong)need.EntryOffset + 4, 2);
        var flags = (ushort)(U16(at) | VersionNeed.WeakFlag);
        data[at] = (byte)flags;
        data[at + 1] = (byte)(flags >> 8);
    }

    private Section StringTable(Section owner)
    {
        if (owner.Link >= sections.Count)
        {
            throw new ElfFormatException("a version section names no string table");
        }

        var strings = sections[(int)owner.Link];
        Checked(strings.Offset, strings.Size);
        return strings;
    }

    private string Text(Section strings, uint offset)
    {
        if (offset >= strings.Size)
        {
            throw new ElfFormatException("a name lies outside its string table");
        }

        var start = (int)(strings.Offset + offset);
        var end = Array.IndexOf(data, (byte)0, start, (int)(strings.Size - offset));
        if (end < 0)
        {
            throw new ElfFormatException("a name does not end");
        }

        return Encoding.ASCII.GetString(data, start, end - start);
    }

    private ulong Checked(ulong offset, ulong length)
    {
        if (offset > (ulong)data.Length || length > (ulong)data.Length - offset)
        {
            throw new ElfFormatException($"an entry at offset {offset} runs past the end of the file");
        }

        return offset;
    }

    private ushort U16(ulong at) => (ushort)(data[Checked(at, 2)] | (data[at + 1] << 8));

    private uint U32(ulong at) => BitConverter.ToUInt32(data, (int)Checked(at, 4));

    private ulong U64(ulong at) => BitConverter.ToUInt64(data, (int)Checked(at, 8));

    private sealed record Section(uint Type, ulong Offset, ulong Size, uint Link, uint Info, ulong EntrySize);
}

/// <summary>One version an ELF object needs from a library (<c>Vernaux</c>).</summary>
/// <param name="File">The library, as named in the object (<c>libstdc++.so.6</c>).</param>
/// <param name="Version">The version name (<c>GLIBCXX_3.4.32</c>).</param>
/// <param name="Flags">VER_FLG_* flags; <see cref="WeakFlag"/> marks a need the loader may leave unmet.</param>
/// <param name="Index">The version index that <c>.gnu.version</c> gives symbols bound to it.</param>
/// <param name="EntryOffset">Where the entry lies in the file.</param>
internal sealed record VersionNeed(string File, string Version, ushort Flags, ushort Index, long EntryOffset)
{
    public const ushort WeakFlag = 0x2;

    public bool IsWeak => (Flags & WeakFlag) != 0;
}

/// <summary>A file that is not an ELF object this code can read.</summary>
internal sealed class ElfFormatException(string message) : Exception(message);
