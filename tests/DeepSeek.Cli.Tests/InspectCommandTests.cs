using System.Globalization;
using System.Text.Json;
using DeepSeek.Onnx.IO;
using DeepSeek.Onnx.Model;
using DeepSeek.Onnx.Protobuf;
using DeepSeek.Testing;

namespace DeepSeek.Cli.Tests;

public sealed class InspectCommandTests
{
    private static ModelProto ResNetProto => ModelProto.Parser.ParseFrom(File.ReadAllBytes(TestAssets.ResNet18));

    private static long ResNetParameters => ResNetProto.Graph.Initializer.Sum(t => t.Dims.Aggregate(1L, (a, d) => a * d));

    [Fact]
    public void Text_report_of_ResNet18()
    {
        var (code, output, error) = CliRunner.Run("inspect", TestAssets.ResNet18);

        Assert.Equal(0, code);
        Assert.Empty(error);
        var proto = ResNetProto;
        Assert.Contains($"IR version  {proto.IrVersion}", output, StringComparison.Ordinal);
        Assert.Contains($"Producer    {proto.ProducerName} {proto.ProducerVersion}", output, StringComparison.Ordinal);
        Assert.Contains($"Opsets      ai.onnx {proto.OpsetImport.Single().Version}", output, StringComparison.Ordinal);
        Assert.Contains($"{proto.Graph.Output.Single().Name}  float    [1,512,1,1]", output, StringComparison.Ordinal);
        Assert.Contains($"Operators   {proto.Graph.Node.Count} nodes", output, StringComparison.Ordinal);
        Assert.Contains(string.Create(CultureInfo.InvariantCulture, $"Parameters  {ResNetParameters:N0} in {proto.Graph.Initializer.Count} tensors"), output, StringComparison.Ordinal);
        Assert.Contains("initializer", output, StringComparison.Ordinal);
    }

    [Fact]
    public void Json_report_of_ResNet18_follows_the_documented_schema()
    {
        var (code, output, error) = CliRunner.Run("inspect", TestAssets.ResNet18, "--json");

        Assert.Equal(0, code);
        Assert.Empty(error);
        using var json = JsonDocument.Parse(output);
        var root = json.RootElement;
        var proto = ResNetProto;
        Assert.Equal(1, root.GetProperty("schemaVersion").GetInt32());
        Assert.Equal(proto.IrVersion, root.GetProperty("irVersion").GetInt64());
        Assert.Equal(proto.ProducerName, root.GetProperty("producer").GetProperty("name").GetString());
        var opset = Assert.Single(root.GetProperty("opsets").EnumerateArray());
        Assert.Equal("ai.onnx", opset.GetProperty("domain").GetString());
        Assert.Equal(8, opset.GetProperty("version").GetInt64());
        var input = Assert.Single(root.GetProperty("inputs").EnumerateArray());
        Assert.Equal("tensor", input.GetProperty("kind").GetString());
        Assert.Equal("float", input.GetProperty("elementType").GetString());
        Assert.Equal([1L, 3, 224, 224], input.GetProperty("shape").EnumerateArray().Select(d => d.GetInt64()));

        var operators = root.GetProperty("operators").EnumerateArray().ToArray();
        Assert.Equal(proto.Graph.Node.Count, root.GetProperty("nodeCount").GetInt32());
        Assert.Equal(proto.Graph.Node.Count, operators.Sum(o => o.GetProperty("count").GetInt32()));
        Assert.Equal(proto.Graph.Node.Count(n => n.OpType == "Conv"), operators.Single(o => o.GetProperty("opType").GetString() == "Conv").GetProperty("count").GetInt32());

        var parameters = root.GetProperty("parameters");
        Assert.Equal(ResNetParameters, parameters.GetProperty("count").GetInt64());
        Assert.Equal(ResNetParameters * 4, parameters.GetProperty("bytes").GetInt64());
        var byType = Assert.Single(parameters.GetProperty("byDataType").EnumerateArray());
        Assert.Equal("float", byType.GetProperty("dataType").GetString());
        var byLocation = Assert.Single(parameters.GetProperty("byLocation").EnumerateArray());
        Assert.Equal("initializer", byLocation.GetProperty("location").GetString());
        Assert.Empty(parameters.GetProperty("externalFiles").EnumerateArray());
    }

    [Fact]
    public void Json_report_shows_symbolic_dims_constant_node_and_external_weights()
    {
        using var temp = new TempDirectory();
        var external = MlpFiles.Write(temp, inlineName: "mlp.onnx", externalName: "mlp-ext.onnx").External;

        var (code, output, _) = CliRunner.Run("inspect", "--json", external);

        Assert.Equal(0, code);
        using var json = JsonDocument.Parse(output);
        var root = json.RootElement;
        var shape = root.GetProperty("inputs")[0].GetProperty("shape");
        Assert.Equal(JsonValueKind.String, shape[0].ValueKind);
        Assert.Equal("N", shape[0].GetString());
        Assert.Equal(8, shape[1].GetInt64());
        var locations = root.GetProperty("parameters").GetProperty("byLocation").EnumerateArray()
            .ToDictionary(g => g.GetProperty("location").GetString()!, g => g.GetProperty("count").GetInt64());
        Assert.Equal((8 * 16) + (16 * 4), locations["external"]);
        Assert.Equal(16, locations["constant-node"]);
        Assert.Equal(["mlp-ext.onnx.data"], root.GetProperty("parameters").GetProperty("externalFiles").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal((8 * 16) + (16 * 4) + 16, root.GetProperty("parameters").GetProperty("count").GetInt64());
    }
}
