using DeepSeek.Onnx.IO;
using DeepSeek.Onnx.Protobuf;

namespace DeepSeek.Onnx.Model;

/// <summary>
/// A view over one <see cref="GraphProto"/>: its nodes, initializers, declared values and the subgraphs nodes hold.
/// The view reads the protobuf in place; changes to the protobuf are seen at once.
/// </summary>
public sealed class OnnxGraph
{
    internal OnnxGraph(GraphProto proto, string path, OnnxModel model)
    {
        Proto = proto;
        GraphPath = path;
        Model = model;
    }

    /// <summary>The underlying protobuf message.</summary>
    public GraphProto Proto { get; }

    /// <summary>The model that holds this graph.</summary>
    public OnnxModel Model { get; }

    /// <summary><c>main</c> for the top-level graph; <c>main/&lt;node&gt;.&lt;attribute&gt;</c> for subgraphs.</summary>
    public string GraphPath { get; }

    /// <summary>The graph's name.</summary>
    public string Name => Proto.Name;

    /// <summary>The nodes, in file order (which ONNX requires to be topological).</summary>
    public IReadOnlyList<NodeProto> Nodes => Proto.Node;

    /// <summary>The initializers (dense weights), in file order.</summary>
    public IReadOnlyList<TensorProto> Initializers => Proto.Initializer;

    /// <summary>
    /// The inputs a caller feeds: declared graph inputs that are not initializers
    /// (before IR 4, initializers were also listed as inputs).
    /// </summary>
    public IReadOnlyList<ValueInfo> Inputs
    {
        get
        {
            var initializerNames = Proto.Initializer.Select(t => t.Name).ToHashSet(StringComparer.Ordinal);
            return Proto.Input.Where(i => !initializerNames.Contains(i.Name)).Select(ValueInfo.From).ToArray();
        }
    }

    /// <summary>The graph outputs.</summary>
    public IReadOnlyList<ValueInfo> Outputs => Proto.Output.Select(ValueInfo.From).ToArray();

    /// <summary>Declared types of intermediate values.</summary>
    public IReadOnlyList<ValueInfo> ValueInfos => Proto.ValueInfo.Select(ValueInfo.From).ToArray();

    /// <summary>The subgraphs held by node attributes (If, Loop, Scan...), one level down.</summary>
    public IEnumerable<OnnxGraph> Subgraphs
    {
        get
        {
            for (var i = 0; i < Proto.Node.Count; i++)
            {
                var node = Proto.Node[i];
                var nodeName = string.IsNullOrEmpty(node.Name) ? $"{node.OpType}#{i}" : node.Name;
                foreach (var attribute in node.Attribute)
                {
                    if (attribute.G is not null)
                    {
                        yield return new OnnxGraph(attribute.G, $"{GraphPath}/{nodeName}.{attribute.Name}", Model);
                    }

                    for (var g = 0; g < attribute.Graphs.Count; g++)
                    {
                        yield return new OnnxGraph(attribute.Graphs[g], $"{GraphPath}/{nodeName}.{attribute.Name}[{g}]", Model);
                    }
                }
            }
        }
    }

    /// <summary>This graph and all subgraphs below it, depth first.</summary>
    public IEnumerable<OnnxGraph> SelfAndDescendants()
    {
        var stack = new Stack<OnnxGraph>();
        stack.Push(this);
        while (stack.Count > 0)
        {
            var graph = stack.Pop();
            yield return graph;
            foreach (var sub in graph.Subgraphs.Reverse())
            {
                stack.Push(sub);
            }
        }
    }

    /// <summary>
    /// Every weight of this graph and its subgraphs: initializers (inline or external), <c>Constant</c> node values and
    /// sparse initializers. Sizes come from the declared dims, which the reader has checked against the data.
    /// </summary>
    public IEnumerable<WeightTensor> Weights()
    {
        foreach (var graph in SelfAndDescendants())
        {
            foreach (var tensor in graph.Proto.Initializer)
            {
                var external = ExternalDataInfo.IsExternal(tensor);
                yield return Describe(tensor, tensor.Name, external ? WeightLocation.External : WeightLocation.Initializer,
                    external ? ExternalDataInfo.Parse(tensor, Model.DisplayPath).Location : null, graph.GraphPath);
            }

            foreach (var sparse in graph.Proto.SparseInitializer)
            {
                if (sparse.Values is not null)
                {
                    yield return Describe(sparse.Values, sparse.Values.Name, WeightLocation.SparseInitializer, null, graph.GraphPath);
                }
            }

            foreach (var node in graph.Proto.Node)
            {
                if (node.OpType != "Constant" || !(node.Domain is "" or "ai.onnx"))
                {
                    continue;
                }

                var name = node.Output.Count > 0 ? node.Output[0] : node.Name;
                foreach (var attribute in node.Attribute)
                {
                    var weight = attribute.Name switch
                    {
                        "value" when attribute.T is not null => Describe(attribute.T, name, WeightLocation.ConstantNode,
                            ExternalDataInfo.IsExternal(attribute.T) ? ExternalDataInfo.Parse(attribute.T, Model.DisplayPath).Location : null, graph.GraphPath),
                        "sparse_value" when attribute.SparseTensor?.Values is not null =>
                            Describe(attribute.SparseTensor.Values, name, WeightLocation.ConstantNode, null, graph.GraphPath),
                        "value_float" => new WeightTensor(name, 1, [], 1, 4, WeightLocation.ConstantNode, null, graph.GraphPath),
                        "value_int" => new WeightTensor(name, 7, [], 1, 8, WeightLocation.ConstantNode, null, graph.GraphPath),
                        "value_floats" => new WeightTensor(name, 1, [attribute.Floats.Count], attribute.Floats.Count, 4L * attribute.Floats.Count, WeightLocation.ConstantNode, null, graph.GraphPath),
                        "value_ints" => new WeightTensor(name, 7, [attribute.Ints.Count], attribute.Ints.Count, 8L * attribute.Ints.Count, WeightLocation.ConstantNode, null, graph.GraphPath),
                        _ => null,
                    };
                    if (weight is not null)
                    {
                        yield return weight;
                    }
                }
            }
        }
    }

    private WeightTensor Describe(TensorProto tensor, string name, WeightLocation location, string? externalFile, string graphPath)
    {
        var elements = TensorData.ElementCount(tensor, Model.DisplayPath);
        var bytes = DataTypes.ByteSize(tensor.DataType, elements);
        if (bytes < 0)
        {
            bytes = tensor.StringData.Sum(s => (long)s.Length);
        }

        return new WeightTensor(name, tensor.DataType, tensor.Dims.ToArray(), elements, bytes, location, externalFile, graphPath);
    }
}
