using DeepSeek.Testing;

namespace DeepSeek.Engine.Tests.Compression;

/// <summary>Data folders of real photos (views: crops and flips) as 1x3x224x224 .npy samples for ResNet-18.</summary>
internal static class ImageData
{
    /// <summary>Writes the views of <paramref name="images"/> (at most <paramref name="limit"/>) as .npy samples into a new folder.</summary>
    public static string Write(TempDirectory temp, string name, IEnumerable<string> images, int limit)
        => PhotoSamples.Write(temp.File(name), images.SelectMany(i => PngImage.Load(i).Views()), limit);

    /// <summary>As <see cref="Write(TempDirectory, string, IEnumerable{string}, int)"/>, the photos named by file name in tests/data/images.</summary>
    public static string Write(TempDirectory temp, string name, int limit, params string[] fileNames)
        => Write(temp, name, fileNames.Select(TestAssets.Image), limit);
}
