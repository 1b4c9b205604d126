using System.Buffers.Binary;
using System.IO.Compression;

namespace DeepSeek.Testing;

/// <summary>
/// The test photographs as HWC RGB bytes: 8-bit RGB or RGBA non-interlaced PNG (decoded here), or baseline/progressive
/// JPEG, RGB or greyscale (decoded by LibJpeg.NET). <see cref="Load"/> tells the two apart by their signature.
/// </summary>
public sealed class PngImage
{
    private PngImage(int width, int height, byte[] rgb)
    {
        Width = width;
        Height = height;
        Rgb = rgb;
    }

    public int Width { get; }

    public int Height { get; }

    /// <summary>Pixels, row-major, 3 bytes (R, G, B) each.</summary>
    public byte[] Rgb { get; }

    /// <summary>Reads a PNG or JPEG file (by its first bytes, not its name).</summary>
    public static PngImage Load(string path)
    {
        var bytes = File.ReadAllBytes(path);
        ReadOnlySpan<byte> jpeg = [0xFF, 0xD8, 0xFF];
        if (bytes.AsSpan().StartsWith(jpeg))
        {
            return LoadJpeg(path, bytes);
        }

        ReadOnlySpan<byte> signature = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A];
        if (!bytes.AsSpan().StartsWith(signature))
        {
            throw new InvalidDataException($"{path} is neither a PNG nor a JPEG file");
        }

        int width = 0, height = 0, channels = 0;
        using var idat = new MemoryStream();
        var position = 8;
        while (position + 8 <= bytes.Length)
        {
            var length = BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(position));
            var type = System.Text.Encoding.ASCII.GetString(bytes, position + 4, 4);
            var data = bytes.AsSpan(position + 8, length);
            switch (type)
            {
                case "IHDR":
                    width = BinaryPrimitives.ReadInt32BigEndian(data);
                    height = BinaryPrimitives.ReadInt32BigEndian(data[4..]);
                    if (data[8] != 8 || data[12] != 0 || (data[9] != 2 && data[9] != 6))
                    {
                        throw new NotSupportedException($"{path}: only 8-bit non-interlaced RGB/RGBA PNG is supported");
                    }

                    channels = data[9] == 2 ? 3 : 4;
                    break;
                case "IDAT":
                    idat.Write(data);
                    break;
            }

            position += 12 + length;
        }

        var stride = width * channels;
        var raw = new byte[(stride + 1) * height];
        idat.Position = 0;
        using (var z = new ZLibStream(idat, CompressionMode.Decompress))
        {
            z.ReadExactly(raw);
        }

        var pixels = new byte[stride * height];
        for (var y = 0; y < height; y++)
        {
            var filter = raw[y * (stride + 1)];
            var line = raw.AsSpan(y * (stride + 1) + 1, stride);
            var current = pixels.AsSpan(y * stride, stride);
            var previous = y == 0 ? new byte[stride] : pixels.AsSpan((y - 1) * stride, stride);
            for (var x = 0; x < stride; x++)
            {
                int a = x >= channels ? current[x - channels] : 0;
                int b = previous[x];
                int c = x >= channels ? previous[x - channels] : 0;
                current[x] = (byte)(line[x] + filter switch
                {
                    0 => 0,
                    1 => a,
                    2 => b,
                    3 => (a + b) / 2,
                    4 => Paeth(a, b, c),
                    _ => throw new InvalidDataException($"{path}: bad PNG filter {filter}"),
                });
            }
        }

        if (channels == 3)
        {
            return new PngImage(width, height, pixels);
        }

        var rgb = new byte[width * height * 3];
        for (var i = 0; i < width * height; i++)
        {
            rgb[i * 3] = pixels[i * 4];
            rgb[i * 3 + 1] = pixels[i * 4 + 1];
            rgb[i * 3 + 2] = pixels[i * 4 + 2];
        }

        return new PngImage(width, height, rgb);
    }

    private static PngImage LoadJpeg(string path, byte[] bytes)
    {
        using var stream = new MemoryStream(bytes, writable: false);
        using var image = new BitMiracle.LibJpeg.JpegImage(stream);
        var (width, height, components) = (image.Width, image.Height, (int)image.ComponentsPerSample);
        if (image.BitsPerComponent != 8 || components is not (1 or 3) || image.Colorspace is not (BitMiracle.LibJpeg.Colorspace.RGB or BitMiracle.LibJpeg.Colorspace.YCbCr or BitMiracle.LibJpeg.Colorspace.Grayscale))
        {
            throw new NotSupportedException($"{path}: only 8-bit RGB or greyscale JPEG is supported ({image.Colorspace}, {components} components of {image.BitsPerComponent} bits)");
        }

        var rgb = new byte[width * height * 3];
        for (var y = 0; y < height; y++)
        {
            var row = image.GetRow(y).ToBytes();
            if (row.Length != width * components)
            {
                throw new InvalidDataException($"{path}: row {y} has {row.Length} bytes, expected {width * components}");
            }

            var line = rgb.AsSpan(y * width * 3, width * 3);
            if (components == 3)
            {
                row.CopyTo(line);
            }
            else
            {
                for (var x = 0; x < width; x++)
                {
                    line[x * 3] = line[(x * 3) + 1] = line[(x * 3) + 2] = row[x];
                }
            }
        }

        return new PngImage(width, height, rgb);
    }

    /// <summary>
    /// Resizes (bilinear) to <paramref name="size"/> x <paramref name="size"/> and returns a 1x3xHxW float tensor,
    /// normalized with the ImageNet mean and standard deviation.
    /// </summary>
    public float[] ToNchw(int size)
    {
        ReadOnlySpan<float> mean = [0.485f, 0.456f, 0.406f];
        ReadOnlySpan<float> std = [0.229f, 0.224f, 0.225f];
        var result = new float[3 * size * size];
        for (var y = 0; y < size; y++)
        {
            var sy = Math.Max(0, ((y + 0.5f) * Height / size) - 0.5f);
            var y0 = Math.Min((int)sy, Height - 1);
            var y1 = Math.Min(y0 + 1, Height - 1);
            var fy = sy - y0;
            for (var x = 0; x < size; x++)
            {
                var sx = Math.Max(0, ((x + 0.5f) * Width / size) - 0.5f);
                var x0 = Math.Min((int)sx, Width - 1);
                var x1 = Math.Min(x0 + 1, Width - 1);
                var fx = sx - x0;
                for (var ch = 0; ch < 3; ch++)
                {
                    var top = (Pixel(x0, y0, ch) * (1 - fx)) + (Pixel(x1, y0, ch) * fx);
                    var bottom = (Pixel(x0, y1, ch) * (1 - fx)) + (Pixel(x1, y1, ch) * fx);
                    var value = ((top * (1 - fy)) + (bottom * fy)) / 255f;
                    result[(ch * size * size) + (y * size) + x] = (value - mean[ch]) / std[ch];
                }
            }
        }

        return result;
    }

    /// <summary>A rectangle of the image.</summary>
    public PngImage Crop(int left, int top, int width, int height)
    {
        var rgb = new byte[width * height * 3];
        for (var y = 0; y < height; y++)
        {
            Rgb.AsSpan((((top + y) * Width) + left) * 3, width * 3).CopyTo(rgb.AsSpan(y * width * 3));
        }

        return new PngImage(width, height, rgb);
    }

    /// <summary>The image mirrored left to right.</summary>
    public PngImage FlipHorizontal()
    {
        var rgb = new byte[Rgb.Length];
        for (var y = 0; y < Height; y++)
        {
            for (var x = 0; x < Width; x++)
            {
                Rgb.AsSpan(((y * Width) + x) * 3, 3).CopyTo(rgb.AsSpan(((y * Width) + (Width - 1 - x)) * 3));
            }
        }

        return new PngImage(Width, Height, rgb);
    }

    /// <summary>
    /// Views for calibration and evaluation: the whole image, four corner crops and a centre crop (each 3/4 of the
    /// image), and the mirror image of each: 12 views.
    /// </summary>
    public IEnumerable<PngImage> Views()
    {
        int w = Width * 3 / 4, h = Height * 3 / 4;
        PngImage[] views =
        [
            this,
            Crop(0, 0, w, h),
            Crop(Width - w, 0, w, h),
            Crop(0, Height - h, w, h),
            Crop(Width - w, Height - h, w, h),
            Crop((Width - w) / 2, (Height - h) / 2, w, h),
        ];
        return views.Concat(views.Select(v => v.FlipHorizontal()));
    }

    private float Pixel(int x, int y, int channel) => Rgb[(((y * Width) + x) * 3) + channel];

    private static int Paeth(int a, int b, int c)
    {
        var p = a + b - c;
        var pa = Math.Abs(p - a);
        var pb = Math.Abs(p - b);
        var pc = Math.Abs(p - c);
        return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
    }
}
