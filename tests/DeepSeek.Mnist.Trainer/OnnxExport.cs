using DeepSeek.Onnx.Model;
using DeepSeek.Onnx.Protobuf;
using DeepSeek.Testing;
using Google.Protobuf;

namespace DeepSeek.Mnist.Trainer;

/// <summary>Writes a trained network as ONNX: IR 7, opset 13, input "input" and output "logits" with symbolic batch dim "N".</summary>
internal static class OnnxExport
{
    public const long IrVersion = 7;
    public const long Opset = 13;

    public static ModelProto Build(Network network, string docString)
    {
        var model = new ModelProto
        {
            IrVersion = IrVersion,
            ProducerName = "DeepSeek.Mnist.Trainer",
            ProducerVersion = "1",
            DocString = docString,
            Graph = new GraphProto { Name = network.Name.Replace('-', '_') },
        };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = Opset });
        model.Graph.Input.Add(ModelBuilder.Value("input", ["N", .. network.InputShape.Cast<object>()]));
        network.AddToGraph(model.Graph);
        model.Graph.Output.Add(ModelBuilder.Value("logits", ["N", 10L]));
        return model;
    }

    /// <summary>Writes the model and reads it back with the project's reader, which validates it.</summary>
    public static void Save(ModelProto model, string path)
    {
        File.WriteAllBytes(path, model.ToByteArray());
        _ = OnnxModel.Load(path);
    }

    public static void Initializers(GraphProto graph, IReadOnlyList<Parameter> parameters)
    {
        foreach (var parameter in parameters)
        {
            graph.Initializer.Add(ModelBuilder.FloatTensor(parameter.Name, parameter.Value, parameter.Dims));
        }
    }

    public static void Node(GraphProto graph, string opType, string[] inputs, string[] outputs, params AttributeProto[] attributes)
    {
        var node = new NodeProto { OpType = opType, Name = outputs[0] };
        node.Input.AddRange(inputs);
        node.Output.AddRange(outputs);
        node.Attribute.AddRange(attributes);
        graph.Node.Add(node);
    }

    public static AttributeProto Ints(string name, params long[] values)
    {
        var attribute = new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Ints };
        attribute.Ints.AddRange(values);
        return attribute;
    }

    public static AttributeProto Int(string name, long value)
        => new() { Name = name, Type = AttributeProto.Types.AttributeType.Int, I = value };
}
