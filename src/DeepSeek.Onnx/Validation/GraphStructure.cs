using DeepSeek.Onnx.Diagnostics;
using DeepSeek.Onnx.Protobuf;

namespace DeepSeek.Onnx.Validation;

/// <summary>
/// The structural rules of an ONNX graph: every node input is defined (in this graph or an enclosing one), every value
/// is produced once, the nodes form a DAG, and every graph output is produced. Subgraphs see their enclosing scopes.
/// </summary>
internal static class GraphStructure
{
    public static void Validate(GraphProto graph, string graphPath, HashSet<string>? outerScope, string file)
    {
        // Values defined without a producing node: graph inputs, initializers, sparse initializers.
        var defined = new HashSet<string>(StringComparer.Ordinal);
        foreach (var input in graph.Input)
        {
            defined.Add(input.Name);
        }

        foreach (var tensor in graph.Initializer)
        {
            defined.Add(tensor.Name);
        }

        foreach (var sparse in graph.SparseInitializer)
        {
            if (sparse.Values is not null)
            {
                defined.Add(sparse.Values.Name);
            }
        }

        // Which node produces each value.
        var producer = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < graph.Node.Count; i++)
        {
            foreach (var output in graph.Node[i].Output)
            {
                if (output.Length == 0)
                {
                    continue; // an omitted optional output
                }

                if (defined.Contains(output) || !producer.TryAdd(output, i))
                {
                    throw new DeepSeekException(DiagnosticIds.DuplicateValue, file,
                        $"{Where(graphPath)}value {Names.Quote(output)} is produced by {Describe(graph, i)} and also defined elsewhere");
                }
            }
        }

        // Edges from producers to consumers; inputs from nowhere are dangling.
        var pending = new int[graph.Node.Count];
        var consumers = new List<int>?[graph.Node.Count];
        for (var i = 0; i < graph.Node.Count; i++)
        {
            foreach (var input in graph.Node[i].Input)
            {
                if (input.Length == 0 || defined.Contains(input))
                {
                    continue;
                }

                if (producer.TryGetValue(input, out var from))
                {
                    pending[i]++;
                    (consumers[from] ??= []).Add(i);
                }
                else if (outerScope is null || !outerScope.Contains(input))
                {
                    throw new DeepSeekException(DiagnosticIds.DanglingInput, file,
                        $"{Where(graphPath)}{Describe(graph, i)} reads {Names.Quote(input)}, which no input, initializer or node produces");
                }
            }
        }

        // Kahn's algorithm: whatever is left unvisited sits on a cycle (or behind one).
        var ready = new Queue<int>();
        for (var i = 0; i < pending.Length; i++)
        {
            if (pending[i] == 0)
            {
                ready.Enqueue(i);
            }
        }

        var visited = 0;
        while (ready.Count > 0)
        {
            var node = ready.Dequeue();
            visited++;
            if (consumers[node] is { } next)
            {
                foreach (var consumer in next)
                {
                    if (--pending[consumer] == 0)
                    {
                        ready.Enqueue(consumer);
                    }
                }
            }
        }

        if (visited != graph.Node.Count)
        {
            var stuck = Array.FindIndex(pending, p => p > 0);
            throw new DeepSeekException(DiagnosticIds.GraphCycle, file,
                $"{Where(graphPath)}{Describe(graph, stuck)} depends on its own output through a cycle of {graph.Node.Count - visited} node(s)");
        }

        foreach (var output in graph.Output)
        {
            if (!defined.Contains(output.Name) && !producer.ContainsKey(output.Name) && (outerScope is null || !outerScope.Contains(output.Name)))
            {
                throw new DeepSeekException(DiagnosticIds.GraphOutputNotProduced, file,
                    $"{Where(graphPath)}graph output {Names.Quote(output.Name)} is never produced");
            }
        }

        ValidateSubgraphs(graph, graphPath, outerScope, defined, producer, file);
    }

    private static void ValidateSubgraphs(GraphProto graph, string graphPath, HashSet<string>? outerScope, HashSet<string> defined,
        Dictionary<string, int> producer, string file)
    {
        HashSet<string>? scope = null;
        for (var i = 0; i < graph.Node.Count; i++)
        {
            var node = graph.Node[i];
            foreach (var attribute in node.Attribute)
            {
                if (attribute.G is null && attribute.Graphs.Count == 0)
                {
                    continue;
                }

                if (scope is null)
                {
                    scope = new HashSet<string>(defined, StringComparer.Ordinal);
                    scope.UnionWith(producer.Keys);
                    if (outerScope is not null)
                    {
                        scope.UnionWith(outerScope);
                    }
                }

                var name = string.IsNullOrEmpty(node.Name) ? $"{node.OpType}#{i}" : node.Name;
                if (attribute.G is not null)
                {
                    Validate(attribute.G, $"{graphPath}/{name}.{attribute.Name}", scope, file);
                }

                foreach (var sub in attribute.Graphs)
                {
                    Validate(sub, $"{graphPath}/{name}.{attribute.Name}", scope, file);
                }
            }
        }
    }

    private static string Where(string graphPath) => graphPath == "main" ? "" : $"in subgraph {Names.Quote(graphPath)}, ";

    private static string Describe(GraphProto graph, int index)
    {
        var node = graph.Node[index];
        var name = string.IsNullOrEmpty(node.Name) ? "" : " " + Names.Quote(node.Name);
        return $"node {index}{name} ({Names.Quote(node.OpType)})";
    }
}
