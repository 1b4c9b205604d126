using DeepSeek.Engine.Data;
using DeepSeek.Onnx.Model;
using DeepSeek.Onnx.Protobuf;
using DeepSeek.Testing;
using static DeepSeek.Engine.Tests.DataFolders.DataFixtures;

namespace DeepSeek.Engine.Tests.DataFolders;

public sealed class DataSetTests
{
    [Fact]
    public void A_flat_folder_gives_one_sample_per_file_in_ordinal_order_with_labels_beside_them()
    {
        using var temp = new TempDirectory();
        WriteNpy(temp.File("a2.npy"), new[] { 2f, 2.5f, -2f, 0f }, 1, 4);
        WriteNpy(temp.File("a10.npy"), new[] { 10f, 10.5f, -10f, 1f }, 1, 4);
        WriteNpy(temp.File("b.npy"), new[] { 3f, 3.5f, -3f, 2f }, 1, 4);
        WriteNpy(temp.File("labels.npy"), new[] { 7L, 8L, 9L }, 3);
        WriteNpy(temp.File(".hidden.npy"), new[] { 1L }, 1);
        File.WriteAllText(temp.File("README.txt"), "three samples");

        var data = DataSet.Load(temp.Path, [Input("x", F32, 1, 4)]);

        Assert.Equal(DataLayout.NumPyFiles, data.Layout);
        Assert.Equal(temp.Path, data.Folder);
        Assert.True(data.HasLabels);
        Assert.Equal(["a10.npy", "a2.npy", "b.npy"], data.Samples.Select(s => s.Source));
        Assert.Equal([7L, 8L, 9L], data.Samples.Select(s => s.Label!.Value));
        var first = Assert.Single(data.Samples[0].Inputs);
        Assert.Equal("x", first.Key);
        Assert.Equal([1L, 4L], first.Value.Shape);
        Assert.Equal([10f, 10.5f, -10f, 1f], first.Value.GetData<float>());
        Assert.Equal([2f, 2.5f, -2f, 0f], data.Samples[1].Inputs["x"].GetData<float>());
        Assert.All(data.Samples, s => Assert.Null(s.ReferenceOutputs));
    }

    [Fact]
    public void A_batch_file_is_split_into_samples_when_the_input_has_a_fixed_batch_of_one()
    {
        using var temp = new TempDirectory();
        WriteNpy(temp.File("batch.npy"), Enumerable.Range(0, 12).Select(i => (float)i).ToArray(), 4, 3);
        WriteNpy(temp.File("single.npy"), new[] { 100f, 101f, 102f }, 1, 3);
        WriteNpy(temp.File("labels.npy"), new[] { 0, 1, 2, 3, 4 }, 5, 1);

        var data = DataSet.Load(temp.Path, [Input("x", F32, 1, 3)]);

        Assert.Equal(5, data.Samples.Count);
        Assert.Equal(["batch.npy[0]", "batch.npy[1]", "batch.npy[2]", "batch.npy[3]", "single.npy"], data.Samples.Select(s => s.Source));
        Assert.Equal([6f, 7f, 8f], data.Samples[2].Inputs["x"].GetData<float>());
        Assert.Equal([1L, 3L], data.Samples[2].Inputs["x"].Shape);
        Assert.Equal([9f, 10f, 11f], data.Samples[3].Inputs["x"].GetData<float>());
        Assert.Equal([100f, 101f, 102f], data.Samples[4].Inputs["x"].GetData<float>());
        Assert.Equal([0L, 1L, 2L, 3L, 4L], data.Samples.Select(s => s.Label!.Value)); // int32 labels, [N,1]
    }

    [Fact]
    public void A_symbolic_batch_dimension_takes_the_whole_file_as_one_sample()
    {
        using var temp = new TempDirectory();
        WriteNpy(temp.File("batch.npy"), Enumerable.Range(0, 12).Select(i => (float)i).ToArray(), 4, 3);

        var data = DataSet.Load(temp.Path, [Input("x", F32, "N", 3)]);

        var sample = Assert.Single(data.Samples);
        Assert.Equal([4L, 3L], sample.Inputs["x"].Shape);
        Assert.Equal(11f, sample.Inputs["x"].GetData<float>()[11]);
        Assert.False(data.HasLabels);
        Assert.Null(sample.Label);
    }

    [Fact]
    public void Float64_files_for_a_float_input_are_converted_to_float32()
    {
        using var temp = new TempDirectory();
        WriteNpy(temp.File("a.npy"), new[] { 0.1, -1e10, 3.0 }, 1, 3);

        var value = DataSet.Load(temp.Path, [Input("x", F32, 1, 3)]).Samples[0].Inputs["x"];

        Assert.Equal(F32, value.ElementType);
        Assert.Equal([0.1f, -1e10f, 3f], value.GetData<float>());
    }

    [Fact]
    public void Several_inputs_take_one_subfolder_per_sample_with_a_file_per_input()
    {
        using var temp = new TempDirectory();
        ValueInfo[] inputs = [Input("input_ids", I64, 1, "seq"), Input("attention_mask", I64, 1, "seq"), Input("scale", F32)];
        WriteNpy(temp.File("s1/input_ids.npy"), new[] { 101L, 2023L, 102L }, 1, 3);
        WriteNpy(temp.File("s1/attention_mask.npy"), new[] { 1L, 1L, 1L }, 1, 3);
        WriteNpy(temp.File("s1/scale.npy"), new[] { 0.5f });
        WriteNpy(temp.File("s0/input_ids.npy"), new[] { 101L, 102L }, 1, 2);
        WriteNpy(temp.File("s0/attention_mask.npy"), new[] { 1L, 0L }, 1, 2);
        WriteNpy(temp.File("s0/scale.npy"), new[] { 2.0 }); // float64, converted
        File.WriteAllText(temp.File("s0/notes.txt"), "not a tensor");
        WriteNpy(temp.File("labels.npy"), new[] { 4L, 5L }, 2);

        var data = DataSet.Load(temp.Path, inputs);

        Assert.Equal(DataLayout.NumPyFolders, data.Layout);
        Assert.Equal(["s0", "s1"], data.Samples.Select(s => s.Source));
        Assert.Equal([4L, 5L], data.Samples.Select(s => s.Label!.Value));
        var s1 = data.Samples[1].Inputs;
        Assert.Equal(3, s1.Count);
        Assert.Equal([101L, 2023L, 102L], s1["input_ids"].GetData<long>());
        Assert.Equal([1L, 3L], s1["input_ids"].Shape);
        Assert.Equal([1L, 1L, 1L], s1["attention_mask"].GetData<long>());
        Assert.Equal([0.5f], s1["scale"].GetData<float>());
        Assert.Equal([2f], data.Samples[0].Inputs["scale"].GetData<float>());
        Assert.Equal([1L, 0L], data.Samples[0].Inputs["attention_mask"].GetData<long>());
    }

    [Fact]
    public void The_onnx_test_data_layout_gives_inputs_and_reference_outputs_named_after_the_model()
    {
        using var temp = new TempDirectory();
        var modelPath = ModelBuilder.Mlp(8, 13).Save(temp.File("mlp.onnx"));
        var model = OnnxModel.Load(modelPath);
        var folder = Directory.CreateDirectory(temp.File("data")).FullName;
        var x0 = ModelBuilder.Random(2 * 8, seed: 5);
        var y0 = ModelBuilder.Random(2 * 4, seed: 6);
        var x1 = ModelBuilder.Random(8, seed: 7);
        var y1 = ModelBuilder.Random(4, seed: 8);
        WritePb(Path.Combine(folder, "test_data_set_0", "input_0.pb"), RawTensor("", F32, x0, 2, 8));
        WritePb(Path.Combine(folder, "test_data_set_0", "output_0.pb"), RawTensor("y", F32, y0, 2, 4));
        WritePb(Path.Combine(folder, "test_data_set_1", "input_0.pb"), RawTensor("x", F32, x1, 1, 8));
        WritePb(Path.Combine(folder, "test_data_set_1", "output_0.pb"), RawTensor("", F32, y1, 1, 4));
        WriteNpy(Path.Combine(folder, "labels.npy"), new[] { 3L, 1L }, 2);

        var data = DataSet.Load(folder, model);

        Assert.Equal(DataLayout.OnnxTestData, data.Layout);
        Assert.Equal(["test_data_set_0", "test_data_set_1"], data.Samples.Select(s => s.Source));
        Assert.Equal([3L, 1L], data.Samples.Select(s => s.Label!.Value));
        Assert.Equal(x0, data.Samples[0].Inputs["x"].GetData<float>());
        Assert.Equal([2L, 8L], data.Samples[0].Inputs["x"].Shape);
        Assert.Equal(y0, data.Samples[0].ReferenceOutputs!["y"].GetData<float>());
        Assert.Equal(x1, data.Samples[1].Inputs["x"].GetData<float>());
        Assert.Equal(y1, data.Samples[1].ReferenceOutputs!["y"].GetData<float>()); // unnamed output_0 is the model's output 0

        // Without the model's outputs, an unnamed reference output is keyed by its file name.
        var inputsOnly = DataSet.Load(folder, model.Graph.Inputs);
        Assert.Equal(y1, inputsOnly.Samples[1].ReferenceOutputs!["output_0"].GetData<float>());
        Assert.Equal(y0, inputsOnly.Samples[0].ReferenceOutputs!["y"].GetData<float>());
    }

    [Fact]
    public void Test_data_tensors_go_to_inputs_by_name_when_named_and_by_index_otherwise()
    {
        using var temp = new TempDirectory();
        ValueInfo[] inputs = [Input("a", I64, 2), Input("b", F32, 2), Input("c", I32, 1)];
        var set = temp.File("test_data_set_0");
        WritePb(Path.Combine(set, "input_0.pb"), RawTensor("b", F32, new[] { 1.5f, 2.5f }, 2));
        var a = new TensorProto { Name = "a", DataType = I64 };
        a.Dims.Add(2);
        a.Int64Data.Add([-4L, 1L << 40]); // typed field instead of raw_data
        WritePb(Path.Combine(set, "input_1.pb"), a);
        WritePb(Path.Combine(set, "input_2.pb"), RawTensor("", I32, new[] { 42 }, 1));

        var sample = Assert.Single(DataSet.Load(temp.Path, inputs).Samples);

        Assert.Equal([-4L, 1L << 40], sample.Inputs["a"].GetData<long>());
        Assert.Equal([1.5f, 2.5f], sample.Inputs["b"].GetData<float>());
        Assert.Equal([42], sample.Inputs["c"].GetData<int>());
        Assert.Null(sample.ReferenceOutputs);
    }

    [Fact]
    public void Tensor_files_read_typed_fields_and_every_supported_type()
    {
        using var temp = new TempDirectory();
        var flags = new TensorProto { DataType = (int)TensorProto.Types.DataType.Bool };
        flags.Dims.Add(3);
        flags.Int32Data.Add([0, 1, 2]);
        var half = RawTensor("h", (int)TensorProto.Types.DataType.Float16, new[] { (Half)0.5f, (Half)(-8f) }, 2);
        var bytes = RawTensor("u", (int)TensorProto.Types.DataType.Uint8, new byte[] { 0, 200, 255 }, 3);
        var floats = new TensorProto { Name = "f", DataType = F32 };
        floats.Dims.Add([1, 2]);
        floats.FloatData.Add([0.25f, -1f]);

        Assert.Equal([false, true, true], TensorProtoFile.Read(WritePb(temp.File("b.pb"), flags)).Value.GetData<bool>());
        Assert.Equal([(Half)0.5f, (Half)(-8f)], TensorProtoFile.Read(WritePb(temp.File("h.pb"), half)).Value.GetData<Half>());
        Assert.Equal([0, 200, 255], TensorProtoFile.Read(WritePb(temp.File("u.pb"), bytes)).Value.GetData<byte>());
        var f = TensorProtoFile.Read(WritePb(temp.File("f.pb"), floats));
        Assert.Equal("f", f.Name);
        Assert.Equal([1L, 2L], f.Value.Shape);
        Assert.Equal([0.25f, -1f], f.Value.GetData<float>());
    }

    [Fact]
    public void A_model_file_loads_its_own_inputs()
    {
        using var temp = new TempDirectory();
        var model = OnnxModel.Load(ModelBuilder.Mlp(8, 13).Save(temp.File("mlp.onnx")));
        var folder = Directory.CreateDirectory(temp.File("calibration")).FullName;
        for (var i = 0; i < 3; i++)
        {
            WriteNpy(Path.Combine(folder, $"sample_{i}.npy"), ModelBuilder.Random(8, seed: i), 1, 8);
        }

        var data = DataSet.Load(folder, model);

        Assert.Equal(3, data.Samples.Count);
        Assert.Equal(ModelBuilder.Random(8, seed: 2), data.Samples[2].Inputs["x"].GetData<float>());
        Assert.Equal(ModelBuilder.Random(8, seed: 2), data.Samples[2].Inputs["x"].ToFloatArray());
    }
}
