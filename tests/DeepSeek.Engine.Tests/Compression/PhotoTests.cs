using DeepSeek.Testing;

namespace DeepSeek.Engine.Tests.Compression;

/// <summary>The photographs the image-model tests use, PNG and JPEG, decode to the sizes LICENSES.md gives and to RGB.</summary>
public sealed class PhotoTests
{
    [Theory]
    [InlineData("astronaut.png", 512, 512)]
    [InlineData("chelsea.png", 451, 300)]
    [InlineData("coffee.png", 600, 400)]
    [InlineData("hubble_deep_field.jpg", 1000, 872)]
    [InlineData("rocket.jpg", 640, 427)]
    public void Each_photo_decodes_to_its_size(string file, int width, int height)
    {
        var image = PngImage.Load(TestAssets.Image(file));
        Assert.Equal((width, height), (image.Width, image.Height));
        Assert.Equal(width * height * 3, image.Rgb.Length);
        Assert.Equal(12, image.Views().Count());
    }

    [Fact]
    public void The_images_are_the_five_photos_in_name_order()
        => Assert.Equal(["astronaut.png", "chelsea.png", "coffee.png", "hubble_deep_field.jpg", "rocket.jpg"], TestAssets.Images.Select(Path.GetFileName));

    [Fact]
    public void JPEG_pixels_are_RGB_not_YCbCr()
    {
        // The deep field is black sky: in RGB every channel is dark; decoded as YCbCr, Cb and Cr would sit near 128.
        var sky = Means(PngImage.Load(TestAssets.Image("hubble_deep_field.jpg")));
        Assert.All(sky, v => Assert.InRange(v, 0, 60));

        // The rocket's sky (the top rows) is blue: more blue than red.
        var rocket = PngImage.Load(TestAssets.Image("rocket.jpg"));
        var top = Means(rocket.Crop(0, 0, rocket.Width, rocket.Height / 8));
        Assert.True(top[2] > top[0] + 20, $"top of rocket.jpg: R {top[0]:F0} G {top[1]:F0} B {top[2]:F0}");
    }

    private static double[] Means(PngImage image)
        => [.. Enumerable.Range(0, 3).Select(c => Enumerable.Range(0, image.Width * image.Height).Average(i => (double)image.Rgb[(i * 3) + c]))];
}
