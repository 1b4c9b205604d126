using DeepSeek.Onnx.Protobuf;
using Google.Protobuf;

namespace DeepSeek.Testing;

/// <summary>
/// One file per kind of bad input, with the diagnostic id the reader must give. Shared by the library's tests and the
/// command line's tests, so that both prove the same table (docs/diagnostics.md).
/// </summary>
public static class BadModels
{
    /// <summary>Case name → (expected id, a function that writes the bad input into a folder and returns its path).</summary>
    public static IReadOnlyDictionary<string, (string Id, Func<string, string> Create)> Cases { get; } = new Dictionary<string, (string, Func<string, string>)>
    {
        ["missing-file"] = ("DSB0001", dir => Path.Combine(dir, "nope.onnx")),
        ["folder"] = ("DSB0003", dir => Directory.CreateDirectory(Path.Combine(dir, "model.onnx")).FullName),
        ["empty-file"] = ("DSB0002", dir => Write(dir, "empty.onnx", [])),
        ["text-file"] = ("DSB0003", dir => Write(dir, "readme.onnx", "This is not a model.\nJust text.\n"u8.ToArray())),
        ["png-file"] = ("DSB0003", dir => Write(dir, "photo.onnx", File.ReadAllBytes(TestAssets.Images[0]))),
        ["truncated-resnet18"] = ("DSB0004", dir => Write(dir, "resnet18-half.onnx", File.ReadAllBytes(TestAssets.ResNet18)[..(32 << 20)])),
        ["truncated-header"] = ("DSB0004", dir => Write(dir, "resnet18-head.onnx", File.ReadAllBytes(TestAssets.ResNet18)[..100])),
        ["huge-declared-length"] = ("DSB0004", dir => Write(dir, "huge.onnx", [0x08, 0x08, 0x3A, 0xF0, 0xFF, 0xFF, 0xFF, 0x07, 0x0A, 0x00])),
        ["ir-version-2"] = ("DSB0005", dir => Save(dir, "ir2.onnx", Mlp(m => m.IrVersion = 2))),
        ["ir-version-99"] = ("DSB0005", dir => Save(dir, "ir99.onnx", Mlp(m => m.IrVersion = 99))),
        ["no-graph"] = ("DSB0035", dir => Save(dir, "nograph.onnx", Mlp(m => m.Graph = null))),
        ["external-parent-folder"] = ("DSB0010", dir => External(dir, "../secret.bin")),
        ["external-nested-parent"] = ("DSB0010", dir => External(dir, "sub/../../secret.bin")),
        ["external-absolute-path"] = ("DSB0010", dir => External(dir, "/etc/passwd")),
        ["external-windows-root"] = ("DSB0010", dir => External(dir, "C:\\Windows\\win.ini")),
        ["external-symlink-outside"] = ("DSB0010", dir =>
        {
            var outside = Path.Combine(Path.GetTempPath(), "deepseek-outside-" + Guid.NewGuid().ToString("N") + ".bin");
            File.WriteAllBytes(outside, new byte[512]);
            File.CreateSymbolicLink(Path.Combine(dir, "link.bin"), outside);
            return External(dir, "link.bin", writeData: false);
        }),
        ["external-symlinked-folder-outside"] = ("DSB0010", dir =>
        {
            var outside = Directory.CreateDirectory(Path.Combine(Path.GetTempPath(), "deepseek-outside-" + Guid.NewGuid().ToString("N"))).FullName;
            File.WriteAllBytes(Path.Combine(outside, "w.bin"), new byte[8 * 16 * 4]);
            Directory.CreateSymbolicLink(Path.Combine(dir, "weights"), outside);
            return External(dir, "weights/w.bin", writeData: false);
        }),
        ["external-missing-file"] = ("DSB0011", dir => External(dir, "absent.bin", writeData: false)),
        ["external-range-past-end"] = ("DSB0012", dir => External(dir, "w.bin", offset: 4096)),
        ["external-huge-length"] = ("DSB0021", dir => External(dir, "w.bin", length: 1L << 40)),
        ["external-bad-offset"] = ("DSB0013", dir => External(dir, "w.bin", offsetText: "-1")),
        ["dims-overflow"] = ("DSB0020", dir => Save(dir, "overflow.onnx", Mlp(m => Weight(m).Dims[0] = 1L << 40, m => Weight(m).Dims[1] = 1L << 40))),
        ["bytes-overflow"] = ("DSB0020", dir => Save(dir, "bytes.onnx", Mlp(m => { Weight(m).DataType = 11; Weight(m).Dims.Clear(); Weight(m).Dims.Add(1L << 61); }))),
        ["dims-negative"] = ("DSB0020", dir => Save(dir, "negative.onnx", Mlp(m => Weight(m).Dims[0] = -8))),
        ["dims-disagree-with-data"] = ("DSB0021", dir => Save(dir, "mismatch.onnx", Mlp(m => Weight(m).Dims[0] = 9))),
        ["dims-huge-with-little-data"] = ("DSB0021", dir => Save(dir, "hugedims.onnx", Mlp(m => Weight(m).Dims[0] = 1L << 40))),
        ["unknown-data-type"] = ("DSB0022", dir => Save(dir, "dtype.onnx", Mlp(m => Weight(m).DataType = 99))),
        ["cycle"] = ("DSB0030", dir => Save(dir, "cycle.onnx", Mlp(m => m.Graph.Node[1].Input[0] = "y"))),
        ["dangling-input"] = ("DSB0031", dir => Save(dir, "dangling.onnx", Mlp(m => m.Graph.Node[2].Input[0] = "nowhere"))),
        ["value-produced-twice"] = ("DSB0032", dir => Save(dir, "twice.onnx", Mlp(m => m.Graph.Node[2].Output[0] = "h0"))),
        ["output-never-produced"] = ("DSB0033", dir => Save(dir, "output.onnx", Mlp(m => m.Graph.Output[0].Name = "ghost"))),
        ["domain-not-imported"] = ("DSB0034", dir => Save(dir, "domain.onnx", Mlp(m => m.Graph.Node[2].Domain = "com.microsoft"))),
        // 40 If nodes, each in the then-branch of the one above: graph, node and attribute are three messages per level, past
        // the parser's recursion limit of 100.
        ["nested-too-deep"] = ("DSB0008", dir => Save(dir, "deep.onnx", NestedIfs(40))),
    };

    private static TensorProto Weight(ModelProto model) => model.Graph.Initializer[0];

    private static ModelProto Mlp(params Action<ModelProto>[] edits)
    {
        var model = ModelBuilder.Mlp(8, 13).Build();
        foreach (var edit in edits)
        {
            edit(model);
        }

        return model;
    }

    private static string External(string dir, string location, bool writeData = true, long offset = 0, long? length = null, string? offsetText = null)
    {
        if (writeData)
        {
            File.WriteAllBytes(Path.Combine(dir, "w.bin"), new byte[8 * 16 * 4]);
        }

        return Save(dir, "external.onnx", Mlp(m =>
        {
            var w = Weight(m);
            w.ClearRawData();
            w.ExternalData.Add(new StringStringEntryProto { Key = "location", Value = location });
            w.ExternalData.Add(new StringStringEntryProto { Key = "offset", Value = offsetText ?? offset.ToString(System.Globalization.CultureInfo.InvariantCulture) });
            w.ExternalData.Add(new StringStringEntryProto { Key = "length", Value = (length ?? 8 * 16 * 4).ToString(System.Globalization.CultureInfo.InvariantCulture) });
            w.DataLocation = TensorProto.Types.DataLocation.External;
        }));
    }

    private static ModelProto NestedIfs(int depth)
    {
        var model = Mlp();
        var graph = new GraphProto { Name = "innermost" };
        for (var level = 0; level < depth; level++)
        {
            var node = new NodeProto { OpType = "If", Name = $"if{level}", Input = { "cond" }, Output = { $"out{level}" } };
            node.Attribute.Add(new AttributeProto { Name = "then_branch", Type = AttributeProto.Types.AttributeType.Graph, G = graph });
            node.Attribute.Add(new AttributeProto { Name = "else_branch", Type = AttributeProto.Types.AttributeType.Graph, G = new GraphProto { Name = "else" } });
            graph = new GraphProto { Name = $"level{level}", Node = { node } };
        }

        model.Graph.Node.Add(graph.Node[0]);
        return model;
    }

    private static string Save(string dir, string name, ModelProto model) => Write(dir, name, model.ToByteArray());

    private static string Write(string dir, string name, byte[] bytes)
    {
        var path = Path.Combine(dir, name);
        File.WriteAllBytes(path, bytes);
        return path;
    }
}
