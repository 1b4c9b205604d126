using DeepSeek.Engine.Data;
using DeepSeek.Onnx.Diagnostics;
using DeepSeek.Onnx.Model;
using DeepSeek.Onnx.Protobuf;
using DeepSeek.Testing;
using Google.Protobuf;
using static DeepSeek.Engine.Tests.DataFolders.DataFixtures;

namespace DeepSeek.Engine.Tests.DataFolders;

/// <summary>One case (at least) per data-folder diagnostic, DSB0050-DSB0056, each checked for its id, file and one-line message.</summary>
public sealed class DataFolderBadInputTests
{
    private static readonly ValueInfo[] OneInput = [Input("x", F32, 1, 4)];
    private static readonly ValueInfo[] TwoInputs = [Input("a", F32, 1, 4), Input("b", I64, "N")];

    [Fact]
    public void DSB0050_a_missing_folder()
    {
        using var temp = new TempDirectory();
        var e = Fails("DSB0050", temp.File("nope"), () => DataSet.Load(temp.File("nope"), OneInput));
        Assert.Equal("no such folder", e.Problem);
    }

    [Fact]
    public void DSB0050_a_file_instead_of_a_folder()
    {
        using var temp = new TempDirectory();
        var file = WriteNpy(temp.File("a.npy"), new[] { 1f, 2f, 3f, 4f }, 1, 4);
        var e = Fails("DSB0050", file, () => DataSet.Load(file, OneInput));
        Assert.Equal("is a file, not a folder", e.Problem);
    }

    [Fact]
    public void DSB0050_an_invalid_path()
        => Fails("DSB0050", "bad\0path", () => DataSet.Load("bad\0path", OneInput));

    [Fact]
    public void DSB0051_an_empty_folder()
    {
        using var temp = new TempDirectory();
        Fails("DSB0051", temp.Path, () => DataSet.Load(temp.Path, OneInput));
    }

    [Fact]
    public void DSB0051_labels_alone_are_no_samples()
    {
        using var temp = new TempDirectory();
        WriteNpy(temp.File("labels.npy"), new[] { 1L }, 1);
        WriteNpy(temp.File(".cache.npy"), new[] { 1f, 2f, 3f, 4f }, 1, 4);
        File.WriteAllText(temp.File("image.png"), "not data");
        Fails("DSB0051", temp.Path, () => DataSet.Load(temp.Path, OneInput));
    }

    [Fact]
    public void DSB0052_a_sample_with_a_bad_magic()
    {
        using var temp = new TempDirectory();
        WriteNpy(temp.File("a.npy"), new[] { 1f, 2f, 3f, 4f }, 1, 4);
        File.WriteAllText(temp.File("b.npy"), "1,2,3,4\n");
        Fails("DSB0052", Path.Combine(temp.Path, "b.npy"), () => DataSet.Load(temp.Path, OneInput));
    }

    [Fact]
    public void DSB0052_a_truncated_sample_in_a_sample_folder()
    {
        using var temp = new TempDirectory();
        var path = WriteNpy(temp.File("s0/a.npy"), new[] { 1f, 2f, 3f, 4f }, 1, 4);
        WriteNpy(temp.File("s0/b.npy"), new[] { 1L }, 1);
        File.WriteAllBytes(path, File.ReadAllBytes(path)[..^3]);
        var e = Fails("DSB0052", Path.Combine(temp.Path, "s0", "a.npy"), () => DataSet.Load(temp.Path, TwoInputs));
        Assert.Equal("the shape (1, 4) of '<f4' needs 4 elements of 4 bytes but the file holds 13 bytes of data", e.Problem);
    }

    [Fact]
    public void DSB0052_malformed_labels()
    {
        using var temp = new TempDirectory();
        WriteNpy(temp.File("a.npy"), new[] { 1f, 2f, 3f, 4f }, 1, 4);
        File.WriteAllBytes(temp.File("labels.npy"), NpyBytes("{'descr': '<i8', 'fortran_order': True, 'shape': (1,), }\n", new byte[8]));
        Fails("DSB0052", Path.Combine(temp.Path, "labels.npy"), () => DataSet.Load(temp.Path, OneInput));
    }

    [Fact]
    public void DSB0053_wrong_element_type()
    {
        using var temp = new TempDirectory();
        WriteNpy(temp.File("a.npy"), new[] { 1L, 2L, 3L, 4L }, 1, 4);
        var e = Fails("DSB0053", Path.Combine(temp.Path, "a.npy"), () => DataSet.Load(temp.Path, OneInput));
        Assert.Equal("holds int64 data where input 'x' takes float", e.Problem);
    }

    [Fact]
    public void DSB0053_wrong_shape_names_the_batch_shape_too()
    {
        using var temp = new TempDirectory();
        WriteNpy(temp.File("a.npy"), new[] { 1f, 2f, 3f, 4f, 5f, 6f }, 2, 3);
        var e = Fails("DSB0053", Path.Combine(temp.Path, "a.npy"), () => DataSet.Load(temp.Path, OneInput));
        Assert.Equal("holds shape [2,3] where input 'x' takes [1,4] (or [n,4] for a batch of n samples)", e.Problem);
    }

    [Fact]
    public void DSB0053_wrong_rank()
    {
        using var temp = new TempDirectory();
        WriteNpy(temp.File("a.npy"), new[] { 1f, 2f, 3f, 4f }, 4);
        var e = Fails("DSB0053", Path.Combine(temp.Path, "a.npy"), () => DataSet.Load(temp.Path, [Input("x", F32, "N", 4)]));
        Assert.Equal("holds shape [4] where input 'x' takes [N,4]", e.Problem);
    }

    [Fact]
    public void DSB0053_flat_files_for_a_model_with_several_inputs()
    {
        using var temp = new TempDirectory();
        WriteNpy(temp.File("a.npy"), new[] { 1f, 2f, 3f, 4f }, 1, 4);
        var e = Fails("DSB0053", temp.Path, () => DataSet.Load(temp.Path, TwoInputs));
        Assert.Equal("holds .npy files, but the model has 2 inputs ('a', 'b')", e.Problem);
        Assert.Equal("put each sample in its own subfolder, with one <input name>.npy per model input", e.Action);
    }

    [Fact]
    public void DSB0053_a_sample_folder_without_a_file_for_an_input()
    {
        using var temp = new TempDirectory();
        WriteNpy(temp.File("s0/a.npy"), new[] { 1f, 2f, 3f, 4f }, 1, 4);
        var e = Fails("DSB0053", Path.Combine(temp.Path, "s0"), () => DataSet.Load(temp.Path, TwoInputs));
        Assert.Equal("has no 'b.npy' for input 'b'", e.Problem);
    }

    [Fact]
    public void DSB0053_a_sample_folder_with_a_file_for_no_input()
    {
        using var temp = new TempDirectory();
        WriteNpy(temp.File("s0/a.npy"), new[] { 1f, 2f, 3f, 4f }, 1, 4);
        WriteNpy(temp.File("s0/b.npy"), new[] { 1L }, 1);
        WriteNpy(temp.File("s0/c.npy"), new[] { 1L }, 1);
        Fails("DSB0053", Path.Combine(temp.Path, "s0", "c.npy"), () => DataSet.Load(temp.Path, TwoInputs));
    }

    [Fact]
    public void DSB0053_a_tensor_file_named_for_no_input()
    {
        using var temp = new TempDirectory();
        WritePb(temp.File("test_data_set_0/input_0.pb"), RawTensor("y", F32, new[] { 1f, 2f, 3f, 4f }, 1, 4));
        var e = Fails("DSB0053", Path.Combine(temp.Path, "test_data_set_0", "input_0.pb"), () => DataSet.Load(temp.Path, OneInput));
        Assert.Equal("holds tensor 'y', which names no model input; the model's inputs are 'x'", e.Problem);
    }

    [Fact]
    public void DSB0053_an_unnamed_tensor_file_past_the_model_inputs()
    {
        using var temp = new TempDirectory();
        WritePb(temp.File("test_data_set_0/input_0.pb"), RawTensor("", F32, new[] { 1f, 2f, 3f, 4f }, 1, 4));
        WritePb(temp.File("test_data_set_0/input_1.pb"), RawTensor("", F32, new[] { 1f, 2f, 3f, 4f }, 1, 4));
        var e = Fails("DSB0053", Path.Combine(temp.Path, "test_data_set_0", "input_1.pb"), () => DataSet.Load(temp.Path, OneInput));
        Assert.Equal("is input 1 but the model has 1 input ('x')", e.Problem);
    }

    [Fact]
    public void DSB0053_an_input_given_twice_and_an_input_not_given()
    {
        using var temp = new TempDirectory();
        WritePb(temp.File("test_data_set_0/input_0.pb"), RawTensor("a", F32, new[] { 1f, 2f, 3f, 4f }, 1, 4));
        WritePb(temp.File("test_data_set_0/input_1.pb"), RawTensor("a", F32, new[] { 1f, 2f, 3f, 4f }, 1, 4));
        var e = Fails("DSB0053", Path.Combine(temp.Path, "test_data_set_0", "input_1.pb"), () => DataSet.Load(temp.Path, TwoInputs));
        Assert.Equal("gives input 'a' a second time", e.Problem);

        File.Delete(temp.File("test_data_set_0/input_1.pb"));
        e = Fails("DSB0053", Path.Combine(temp.Path, "test_data_set_0"), () => DataSet.Load(temp.Path, TwoInputs));
        Assert.Equal("has no tensor for input 'b' (input_1.pb)", e.Problem);
    }

    [Fact]
    public void DSB0053_a_reference_output_of_the_wrong_shape()
    {
        using var temp = new TempDirectory();
        WritePb(temp.File("test_data_set_0/input_0.pb"), RawTensor("", F32, new[] { 1f, 2f, 3f, 4f }, 1, 4));
        WritePb(temp.File("test_data_set_0/output_0.pb"), RawTensor("", F32, new[] { 1f, 2f }, 2));
        var options = new DataSetLoadOptions { ModelOutputs = [Input("y", F32, "N", 2)] };
        var e = Fails("DSB0053", Path.Combine(temp.Path, "test_data_set_0", "output_0.pb"), () => DataSet.Load(temp.Path, OneInput, options));
        Assert.Equal("holds shape [2] where output 'y' takes [N,2]", e.Problem);
    }

    [Fact]
    public void DSB0053_a_model_input_that_is_not_a_tensor_or_not_a_supported_type()
    {
        using var temp = new TempDirectory();
        WriteNpy(temp.File("a.npy"), new[] { 1f }, 1);
        Fails("DSB0053", temp.Path, () => DataSet.Load(temp.Path, [new ValueInfo("seq", ValueKind.Sequence, 0, null)]));
        var e = Fails("DSB0053", temp.Path, () => DataSet.Load(temp.Path, [Input("text", (int)TensorProto.Types.DataType.String, 1)]));
        Assert.Equal("model input 'text' takes string elements, which data folders do not hold", e.Problem);
        Fails("DSB0053", temp.Path, () => DataSet.Load(temp.Path, []));
    }

    [Fact]
    public void DSB0054_label_count_mismatch()
    {
        using var temp = new TempDirectory();
        WriteNpy(temp.File("a.npy"), new[] { 1f, 2f, 3f, 4f }, 1, 4);
        WriteNpy(temp.File("b.npy"), new[] { 1f, 2f, 3f, 4f }, 1, 4);
        WriteNpy(temp.File("labels.npy"), new[] { 1L, 2L, 3L }, 3);
        var e = Fails("DSB0054", Path.Combine(temp.Path, "labels.npy"), () => DataSet.Load(temp.Path, OneInput));
        Assert.Equal("holds 3 labels for 2 samples", e.Problem);
    }

    [Fact]
    public void DSB0054_float_labels()
    {
        using var temp = new TempDirectory();
        WriteNpy(temp.File("a.npy"), new[] { 1f, 2f, 3f, 4f }, 1, 4);
        WriteNpy(temp.File("labels.npy"), new[] { 1f }, 1);
        var e = Fails("DSB0054", Path.Combine(temp.Path, "labels.npy"), () => DataSet.Load(temp.Path, OneInput));
        Assert.Equal("holds float labels; labels are int64 or int32", e.Problem);

        WriteNpy(temp.File("labels.npy"), new[] { 1UL }, 1); // a ulong[] passes for a long[] at run time; the dtype decides
        e = Fails("DSB0054", Path.Combine(temp.Path, "labels.npy"), () => DataSet.Load(temp.Path, OneInput));
        Assert.Equal("holds uint64 labels; labels are int64 or int32", e.Problem);
    }

    [Fact]
    public void DSB0054_labels_of_the_wrong_shape()
    {
        using var temp = new TempDirectory();
        WriteNpy(temp.File("a.npy"), new[] { 1f, 2f, 3f, 4f }, 1, 4);
        WriteNpy(temp.File("labels.npy"), new[] { 1L, 2L }, 1, 2);
        var e = Fails("DSB0054", Path.Combine(temp.Path, "labels.npy"), () => DataSet.Load(temp.Path, OneInput));
        Assert.Equal("has shape [1,2]; labels take one value per sample, shape [N] or [N,1]", e.Problem);
    }

    [Fact]
    public void DSB0055_a_tensor_file_that_is_not_protobuf()
    {
        using var temp = new TempDirectory();
        var path = temp.File("test_data_set_0/input_0.pb");
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllBytes(path, [0x0A, 0xFF, 0xFF, 0xFF, 0x0F, 0x01]); // a field claiming 4 GB
        Fails("DSB0055", Path.Combine(temp.Path, "test_data_set_0", "input_0.pb"), () => DataSet.Load(temp.Path, OneInput));
    }

    [Fact]
    public void DSB0055_a_tensor_whose_data_does_not_match_its_dims()
    {
        using var temp = new TempDirectory();
        WritePb(temp.File("test_data_set_0/input_0.pb"), RawTensor("x", F32, new[] { 1f, 2f, 3f }, 1, 4));
        var e = Fails("DSB0055", Path.Combine(temp.Path, "test_data_set_0", "input_0.pb"), () => DataSet.Load(temp.Path, OneInput));
        Assert.Equal("tensor 'x' (float[1,4]) holds 12 bytes of raw_data where its dims need 16 bytes", e.Problem);
    }

    [Fact]
    public void DSB0055_tensors_of_unsupported_or_unknown_types_or_external_data_and_empty_files()
    {
        using var temp = new TempDirectory();
        var strings = new TensorProto { Name = "s", DataType = (int)TensorProto.Types.DataType.String };
        strings.Dims.Add(1);
        strings.StringData.Add(Google.Protobuf.ByteString.CopyFromUtf8("hello"));
        var external = new TensorProto { Name = "e", DataType = F32, DataLocation = TensorProto.Types.DataLocation.External };
        external.Dims.Add(1);
        external.ExternalData.Add(new StringStringEntryProto { Key = "location", Value = "w.bin" });
        var hugeDims = new TensorProto { Name = "h", DataType = F32 };
        hugeDims.Dims.Add([1L << 40, 1L << 40]);
        var bytesOverflow = new TensorProto { Name = "d", DataType = (int)TensorProto.Types.DataType.Double };
        bytesOverflow.Dims.Add(1L << 61); // 2^61 elements are allowed, 2^64 bytes are not
        var cases = new Dictionary<string, TensorProto>
        {
            ["bytes-overflow.pb"] = bytesOverflow,
            ["string.pb"] = strings,
            ["external.pb"] = external,
            ["huge.pb"] = hugeDims,
            ["empty.pb"] = new TensorProto(),
        };

        foreach (var (name, tensor) in cases)
        {
            var path = WritePb(temp.File(name), tensor);
            Fails("DSB0055", path, () => TensorProtoFile.Read(path));
        }
    }

    [Fact]
    public void DSB0055_corrupted_and_truncated_tensor_files_give_only_DSB0055()
    {
        var good = RawTensor("x", F32, ModelBuilder.Random(12, seed: 4), 3, 4).ToByteArray();
        for (var length = 0; length < good.Length; length++)
        {
            Assert.Equal("DSB0055", Assert.Throws<DeepSeekException>(() => TensorProtoFile.Parse(good.AsSpan(0, length), "cut.pb")).Id);
        }

        var random = new Random(11);
        var parsed = 0;
        for (var i = 0; i < 3000; i++)
        {
            var bytes = (byte[])good.Clone();
            for (var flips = random.Next(1, 4); flips > 0; flips--)
            {
                bytes[random.Next(0, 16)] = (byte)random.Next(256);
            }

            try
            {
                TensorProtoFile.Parse(bytes, "fuzz.pb");
                parsed++;
            }
            catch (DeepSeekException e)
            {
                Assert.Equal("DSB0055", e.Id);
            }
        }

        Assert.InRange(parsed, 1, 2999); // some flips only rename the tensor; most break it
    }

    [Fact]
    public void DSB0055_a_tensor_file_not_named_by_index()
    {
        using var temp = new TempDirectory();
        WritePb(temp.File("test_data_set_0/input_x.pb"), RawTensor("x", F32, new[] { 1f, 2f, 3f, 4f }, 1, 4));
        Fails("DSB0055", Path.Combine(temp.Path, "test_data_set_0", "input_x.pb"), () => DataSet.Load(temp.Path, OneInput));
    }

    [Fact]
    public void DSB0056_more_samples_than_allowed()
    {
        using var temp = new TempDirectory();
        for (var i = 0; i < 3; i++)
        {
            WriteNpy(temp.File($"{i}.npy"), new[] { 1f, 2f, 3f, 4f }, 1, 4);
        }

        var limited = new DataSetLoadOptions { MaxSamples = 2 };
        Fails("DSB0056", temp.Path, () => DataSet.Load(temp.Path, OneInput, limited));
        Assert.Equal(3, DataSet.Load(temp.Path, OneInput, new DataSetLoadOptions { MaxSamples = 3 }).Samples.Count);
    }

    [Fact]
    public void DSB0056_a_batch_file_with_more_samples_than_allowed()
    {
        using var temp = new TempDirectory();
        WriteNpy(temp.File("batch.npy"), new float[5 * 4], 5, 4);
        var e = Fails("DSB0056", temp.Path, () => DataSet.Load(temp.Path, OneInput, new DataSetLoadOptions { MaxSamples = 4 }));
        Assert.Equal("holds more than 4 samples ('batch.npy' alone holds 5)", e.Problem);
    }

    [Fact]
    public void DSB0056_more_bytes_or_files_than_allowed()
    {
        using var temp = new TempDirectory();
        for (var i = 0; i < 3; i++)
        {
            WriteNpy(temp.File($"s{i}/a.npy"), new[] { 1f, 2f, 3f, 4f }, 1, 4);
            WriteNpy(temp.File($"s{i}/b.npy"), new[] { 1L }, 1);
        }

        var size = new FileInfo(temp.File("s0/a.npy")).Length + new FileInfo(temp.File("s0/b.npy")).Length;
        var e = Fails("DSB0056", temp.Path, () => DataSet.Load(temp.Path, TwoInputs, new DataSetLoadOptions { MaxBytes = (3 * size) - 1 }));
        Assert.Equal($"holds more than {(3 * size) - 1} bytes of data (reached at '{Path.Combine("s2", "b.npy")}')", e.Problem);
        Fails("DSB0056", temp.Path, () => DataSet.Load(temp.Path, TwoInputs, new DataSetLoadOptions { MaxFiles = 5 }));
        Assert.Equal(3, DataSet.Load(temp.Path, TwoInputs, new DataSetLoadOptions { MaxBytes = 3 * size, MaxFiles = 6 }).Samples.Count);
    }
}
