using DeepSeek.Onnx.IO;
using DeepSeek.Onnx.Model;
using DeepSeek.Onnx.Protobuf;

namespace DeepSeek.Engine.Graph;

/// <summary>
/// Edits one <see cref="GraphProto"/> in place for the passes: who produces and who consumes each value, fresh unique names,
/// initializer lookup, node insertion and removal, and a final topological sort. Indices are rebuilt on demand after edits.
/// </summary>
public sealed class GraphEditor
{
    private readonly HashSet<string> names = new(StringComparer.Ordinal);
    private Dictionary<string, NodeProto>? producers;
    private Dictionary<string, List<NodeProto>>? consumers;
    private Dictionary<string, TensorProto>? initializers;

    /// <summary>Wraps a graph.</summary>
    public GraphEditor(GraphProto graph)
    {
        ArgumentNullException.ThrowIfNull(graph);
        Graph = graph;
        foreach (var value in graph.Input.Select(v => v.Name)
            .Concat(graph.Output.Select(v => v.Name))
            .Concat(graph.ValueInfo.Select(v => v.Name))
            .Concat(graph.Initializer.Select(t => t.Name))
            .Concat(graph.Node.SelectMany(n => n.Output))
            .Concat(graph.Node.Select(n => n.Name)))
        {
            names.Add(value);
        }
    }

    /// <summary>An editor of <paramref name="model"/>'s main graph whose new initializers go to the model's weight store
    /// (<see cref="OnnxModel.OutputData"/>) when it has one.</summary>
    public static GraphEditor For(OnnxModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        return new GraphEditor(model.Proto.Graph) { Data = model.OutputData };
    }

    /// <summary>The graph being edited.</summary>
    public GraphProto Graph { get; }

    /// <summary>Where new initializers of at least <see cref="StoredBytes"/> bytes are written (null: they stay inline).</summary>
    public ExternalDataFile? Data { get; init; }

    /// <summary>New initializers this large go to <see cref="Data"/>; smaller ones (scales, zero points) stay in the proto.</summary>
    public const int StoredBytes = 1 << 16;

    /// <summary>A name no value or node of the graph has, built from <paramref name="hint"/>.</summary>
    public string UniqueName(string hint)
    {
        var name = hint;
        for (var i = 1; !names.Add(name); i++)
        {
            name = $"{hint}_{i}";
        }

        return name;
    }

    /// <summary>The node producing <paramref name="value"/>, or null for inputs, initializers and unknown names.</summary>
    public NodeProto? Producer(string value)
    {
        producers ??= BuildProducers();
        return producers.GetValueOrDefault(value);
    }

    /// <summary>The nodes reading <paramref name="value"/> (subgraph reads not included).</summary>
    public IReadOnlyList<NodeProto> Consumers(string value)
    {
        consumers ??= BuildConsumers();
        return consumers.TryGetValue(value, out var list) ? list : [];
    }

    /// <summary>Whether <paramref name="value"/> is a graph output.</summary>
    public bool IsGraphOutput(string value) => Graph.Output.Any(o => o.Name == value);

    /// <summary>The initializer named <paramref name="value"/>, or null.</summary>
    public TensorProto? Initializer(string value)
    {
        initializers ??= Graph.Initializer.ToDictionary(t => t.Name, StringComparer.Ordinal);
        return initializers.GetValueOrDefault(value);
    }

    /// <summary>
    /// The constant tensor behind <paramref name="value"/>: an initializer that is not also a graph input (which a caller could
    /// override), or the <c>value</c> of a Constant node. Null when the value is computed or fed.
    /// </summary>
    public TensorProto? ConstantTensor(string value)
    {
        var initializer = Initializer(value);
        if (initializer is not null)
        {
            return Graph.Input.Any(i => i.Name == value) ? null : initializer;
        }

        var node = Producer(value);
        if (node is { OpType: "Constant" } && node.Domain is "" or "ai.onnx")
        {
            return node.Attribute.FirstOrDefault(a => a.Name == "value")?.T;
        }

        return null;
    }

    /// <summary>Adds an initializer with a fresh name built from <paramref name="hint"/>; returns the name.</summary>
    public string AddInitializer(string hint, TensorProto tensor)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        tensor.Name = UniqueName(hint);
        if (Data is not null && tensor.HasRawData && tensor.RawData.Length >= StoredBytes)
        {
            Data.Append(tensor, tensor.RawData.Span); // written now: the proto keeps only where the bytes are
        }

        Graph.Initializer.Add(tensor);
        initializers = null;
        return tensor.Name;
    }

    /// <summary>Appends a node (call <see cref="SortTopologically"/> when done); fresh name from its op type.</summary>
    public NodeProto AddNode(string opType, IEnumerable<string> inputs, IEnumerable<string> outputs, string domain = "", string? name = null)
    {
        var node = new NodeProto { OpType = opType, Name = UniqueName(name ?? opType) };
        if (domain.Length > 0)
        {
            node.Domain = domain;
        }

        node.Input.AddRange(inputs);
        node.Output.AddRange(outputs);
        Graph.Node.Add(node);
        Invalidate();
        return node;
    }

    /// <summary>Removes a node.</summary>
    public void RemoveNode(NodeProto node)
    {
        Graph.Node.Remove(node);
        Invalidate();
    }

    /// <summary>Makes every reader of <paramref name="from"/> (nodes and graph outputs) read <paramref name="to"/> instead.</summary>
    public void ReplaceAllUses(string from, string to, NodeProto? except = null)
    {
        foreach (var node in Graph.Node)
        {
            if (ReferenceEquals(node, except))
            {
                continue;
            }

            for (var i = 0; i < node.Input.Count; i++)
            {
                if (node.Input[i] == from)
                {
                    node.Input[i] = to;
                }
            }
        }

        Invalidate();
    }

    /// <summary>Drops initializers, and Constant nodes, that no node reads and that are not graph outputs (a weight a pass
    /// replaced must not stay in the file, wherever the exporter stored it).</summary>
    public int RemoveUnusedInitializers()
    {
        var used = Graph.Node.SelectMany(n => n.Input).Concat(Graph.Output.Select(o => o.Name)).ToHashSet(StringComparer.Ordinal);
        foreach (var node in Graph.Node)
        {
            foreach (var attribute in node.Attribute)
            {
                if (attribute.G is not null)
                {
                    used.UnionWith(OuterReads(attribute.G));
                }

                foreach (var g in attribute.Graphs)
                {
                    used.UnionWith(OuterReads(g));
                }
            }
        }

        var removed = 0;
        for (var i = Graph.Node.Count - 1; i >= 0; i--)
        {
            if (Graph.Node[i] is { OpType: "Constant", Domain: "" or "ai.onnx" } constant && constant.Output.All(o => !used.Contains(o)))
            {
                Graph.Node.RemoveAt(i);
                removed++;
            }
        }

        for (var i = Graph.Initializer.Count - 1; i >= 0; i--)
        {
            var name = Graph.Initializer[i].Name;
            if (!used.Contains(name))
            {
                Graph.Initializer.RemoveAt(i);
                for (var j = Graph.Input.Count - 1; j >= 0; j--)
                {
                    if (Graph.Input[j].Name == name)
                    {
                        Graph.Input.RemoveAt(j);
                    }
                }

                removed++;
            }
        }

        initializers = null;
        Invalidate();
        return removed;
    }

    /// <summary>Orders the nodes so that every node comes after the producers of its inputs (stable for independent nodes).</summary>
    public void SortTopologically()
    {
        var nodes = Graph.Node.ToList();
        var producerIndex = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < nodes.Count; i++)
        {
            foreach (var output in nodes[i].Output)
            {
                if (output.Length > 0)
                {
                    producerIndex[output] = i;
                }
            }
        }

        var pending = new int[nodes.Count];
        var next = new List<int>[nodes.Count];
        for (var i = 0; i < nodes.Count; i++)
        {
            next[i] = [];
        }

        for (var i = 0; i < nodes.Count; i++)
        {
            foreach (var input in nodes[i].Input.Concat(nodes[i].Attribute.SelectMany(a => a.G is null ? a.Graphs.SelectMany(OuterReads) : OuterReads(a.G))).Distinct())
            {
                if (producerIndex.TryGetValue(input, out var from) && from != i)
                {
                    pending[i]++;
                    next[from].Add(i);
                }
            }
        }

        var ready = new PriorityQueue<int, int>();
        for (var i = 0; i < nodes.Count; i++)
        {
            if (pending[i] == 0)
            {
                ready.Enqueue(i, i);
            }
        }

        var order = new List<NodeProto>(nodes.Count);
        while (ready.TryDequeue(out var index, out _))
        {
            order.Add(nodes[index]);
            foreach (var consumer in next[index])
            {
                if (--pending[consumer] == 0)
                {
                    ready.Enqueue(consumer, consumer);
                }
            }
        }

        if (order.Count != nodes.Count)
        {
            throw new InvalidOperationException("a pass created a cycle; this is a bug in the pass");
        }

        Graph.Node.Clear();
        Graph.Node.AddRange(order);
        Invalidate();
    }

    /// <summary>Forgets the producer/consumer indices after an edit made directly on the protobuf.</summary>
    public void Invalidate()
    {
        producers = null;
        consumers = null;
    }

    private static IEnumerable<string> OuterReads(GraphProto graph)
        => graph.Node.SelectMany(n => n.Input.Concat(n.Attribute.SelectMany(a => a.G is null ? a.Graphs.SelectMany(OuterReads) : OuterReads(a.G))));

    private Dictionary<string, NodeProto> BuildProducers()
    {
        var map = new Dictionary<string, NodeProto>(StringComparer.Ordinal);
        foreach (var node in Graph.Node)
        {
            foreach (var output in node.Output)
            {
                if (output.Length > 0)
                {
                    map[output] = node;
                }
            }
        }

        return map;
    }

    private Dictionary<string, List<NodeProto>> BuildConsumers()
    {
        var map = new Dictionary<string, List<NodeProto>>(StringComparer.Ordinal);
        foreach (var node in Graph.Node)
        {
            foreach (var input in node.Input.Distinct())
            {
                if (input.Length > 0)
                {
                    if (!map.TryGetValue(input, out var list))
                    {
                        map[input] = list = [];
                    }

                    list.Add(node);
                }
            }
        }

        return map;
    }
}
