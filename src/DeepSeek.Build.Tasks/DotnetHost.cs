using System;
using System.IO;

namespace DeepSeek.Build.Tasks
{
    /// <summary>
    /// The dotnet host that runs the engine: the one running the build, not whichever is first on PATH (which may be another
    /// installation, or none, under Visual Studio or a CI image with several SDKs).
    /// </summary>
    public static class DotnetHost
    {
        /// <summary>
        /// In order: <paramref name="explicitHost"/> (the DeepSeekDotnetHost property); <c>DOTNET_HOST_PATH</c>, which the dotnet
        /// CLI sets for the MSBuild it runs; <c>$(NetCoreRoot)dotnet</c>, the SDK's own installation; the first dotnet on
        /// <paramref name="path"/>; else plain <c>dotnet</c>.
        /// </summary>
        public static string Resolve(string explicitHost, string dotnetHostPath, string netCoreRoot, string path, bool windows, Func<string, bool> exists)
        {
            if (exists is null)
            {
                throw new ArgumentNullException(nameof(exists));
            }

            if (!string.IsNullOrEmpty(explicitHost))
            {
                return explicitHost;
            }

            if (!string.IsNullOrEmpty(dotnetHostPath) && exists(dotnetHostPath))
            {
                return dotnetHostPath;
            }

            var executable = windows ? "dotnet.exe" : "dotnet";
            if (!string.IsNullOrEmpty(netCoreRoot) && exists(Path.Combine(netCoreRoot, executable)))
            {
                return Path.Combine(netCoreRoot, executable);
            }

            foreach (var folder in (path ?? "").Split(Path.PathSeparator))
            {
                var trimmed = folder.Trim().Trim('"');
                if (trimmed.Length > 0 && trimmed.IndexOfAny(Path.GetInvalidPathChars()) < 0 && exists(Path.Combine(trimmed, executable)))
                {
                    return Path.Combine(trimmed, executable);
                }
            }

            return executable;
        }
    }
}
