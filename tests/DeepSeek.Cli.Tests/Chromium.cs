using DeepSeek.Testing;

namespace DeepSeek.Cli.Tests;

/// <summary>Debian's Chromium, headless, with no network use of its own: what a person's browser makes of a page.</summary>
/// <remarks>This project's build installs it (eng/install-chromium.sh, run by DeepSeek.Cli.Tests.csproj).</remarks>
internal static class Chromium
{
    public const string Executable = "/usr/bin/chromium";

    /// <summary>The document as Chromium parsed it, serialized after load (<c>--dump-dom</c>).</summary>
    public static string DumpDom(string htmlFile) => Run(["--dump-dom", new Uri(htmlFile).AbsoluteUri]).Output;

    /// <summary>A PNG of the page's top <paramref name="width"/> x <paramref name="height"/> pixels.</summary>
    public static void Screenshot(string htmlFile, string png, int width, int height)
        => Run([$"--screenshot={png}", FormattableString.Invariant($"--window-size={width},{height}"), new Uri(htmlFile).AbsoluteUri]);

    private static ProcessRunner.Result Run(string[] args)
    {
        Assert.True(File.Exists(Executable), $"{Executable} is missing: build tests/DeepSeek.Cli.Tests, which installs it with eng/install-chromium.sh");
        using var profile = new TempDirectory(); // a fresh profile each run: nothing shared, nothing remembered
        var result = ProcessRunner.Run(Executable,
            [
                "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", $"--user-data-dir={profile.Path}", .. args,
            ],
            timeout: TimeSpan.FromMinutes(2));
        Assert.True(result.ExitCode == 0, $"chromium exited with {result.ExitCode}: {result.Error}");
        return result;
    }
}
