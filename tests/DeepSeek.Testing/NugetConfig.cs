namespace DeepSeek.Testing;

/// <summary>The nuget.config a test app gets: a local feed of freshly packed packages, beside the machine's other sources.</summary>
public static class NugetConfig
{
    /// <summary>The file's text, naming <paramref name="feed"/> as the source <c>deepseek-local</c>.</summary>
    public static string WithLocalFeed(string feed) => $"""
        <?xml version="1.0" encoding="utf-8"?>
        <configuration>
          <packageSources>
            <add key="deepseek-local" value="{feed}" />
          </packageSources>
        </configuration>
        """;
}
