using DeepSeek.Testing;

namespace DeepSeek.Engine.Benchmarks;

/// <summary>Calibration and evaluation folders of photo views (crops at two sizes and their mirror images) for ResNet-18.</summary>
internal static class Photos
{
    public static string Folder(string name, int count)
    {
        var folder = Path.Combine(Path.GetTempPath(), $"deepseek-bench-{name}-{count}");
        if (Directory.Exists(folder) && Directory.GetFiles(folder, "*.npy").Length == count)
        {
            return folder;
        }

        var views = TestAssets.Images.Select(PngImage.Load).SelectMany(image => image.Views().Concat(Smaller(image).SelectMany(s => s.Views())));
        return PhotoSamples.Write(folder, views, count);
    }

    /// <summary>A folder of the first <paramref name="count"/> views of the photos named (files in tests/data/images), as the
    /// tests make them: ResNet-18's pruning is calibrated on two photos and checked on three it never saw.</summary>
    public static string Folder(string name, int count, params string[] photos)
    {
        var folder = Path.Combine(Path.GetTempPath(), $"deepseek-bench-{name}-{count}-{string.Join('-', photos.Select(Path.GetFileNameWithoutExtension))}");
        return Directory.Exists(folder) && Directory.GetFiles(folder, "*.npy").Length == count
            ? folder
            : PhotoSamples.Write(folder, photos.SelectMany(p => PngImage.Load(TestAssets.Image(p)).Views()), count);
    }

    private static IEnumerable<PngImage> Smaller(PngImage image)
    {
        int w = image.Width * 2 / 3, h = image.Height * 2 / 3;
        yield return image.Crop((image.Width - w) / 2, 0, w, h);
        yield return image.Crop(0, (image.Height - h) / 2, w, h);
    }
}
