using DeepSeek.Testing;

namespace DeepSeek.Engine.Tests.Verifier;

/// <summary>The test sentences as arctic-embed-xs data folders, written once per test class: calibration and held-out.</summary>
public sealed class SentenceFolders : IDisposable
{
    private readonly TempDirectory temp = new();

    /// <summary>Creates both folders.</summary>
    public SentenceFolders()
    {
        Calibration = ArcticXsSentences.Write(temp.File("calibration"), ArcticXsSentences.Calibration);
        HeldOut = ArcticXsSentences.Write(temp.File("held-out"), ArcticXsSentences.HeldOut);
    }

    /// <summary>16 sentences in 8 samples of two.</summary>
    public string Calibration { get; }

    /// <summary>8 other sentences in 4 samples of two.</summary>
    public string HeldOut { get; }

    /// <inheritdoc />
    public void Dispose() => temp.Dispose();
}
