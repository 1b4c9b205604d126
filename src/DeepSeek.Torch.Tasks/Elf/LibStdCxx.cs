using System;
using System.Collections.Generic;
using System.IO;
using System.Runtime.InteropServices;

namespace DeepSeek.Torch.Tasks.Elf;

/// <summary>Finds the libstdc++ that the dynamic loader of this Linux host would load.</summary>
internal static class LibStdCxx
{
    public const string SoName = "libstdc++.so.6";

    /// <summary>The host's libstdc++.so.6 in the loader's default folders for this architecture, or null.</summary>
    public static string? Find()
    {
        foreach (var folder in Folders())
        {
            var path = Path.Combine(folder, SoName);
            if (File.Exists(path))
            {
                return path;
            }
        }

        return null;
    }

    private static IEnumerable<string> Folders()
    {
        var triplet = RuntimeInformation.ProcessArchitecture switch
        {
            Architecture.Arm64 => "aarch64-linux-gnu",
            Architecture.X64 => "x86_64-linux-gnu",
            _ => null,
        };

        if (triplet is not null)
        {
            yield return "/lib/" + triplet;
            yield return "/usr/lib/" + triplet;
        }

        yield return "/lib64";
        yield return "/usr/lib64";
        yield return "/lib";
        yield return "/usr/lib";
    }
}
