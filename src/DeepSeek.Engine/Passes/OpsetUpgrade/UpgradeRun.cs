using System.Buffers.Binary;
using System.Globalization;
using DeepSeek.Engine.Graph;
using static DeepSeek.Engine.Graph.Tensors;
using DeepSeek.Onnx.Diagnostics;
using DeepSeek.Onnx.Model;
using DeepSeek.Onnx.Protobuf;
using Google.Protobuf;

namespace DeepSeek.Engine.Passes;

/// <content>One run of the pass over a model: scopes, fresh names, new initializers.</content>
public sealed partial class OpsetUpgradePass
{
    // ---- One run ----------------------------------------------------------------------------------------------------

    /// <summary>A graph being upgraded, with the graphs around it (a subgraph reads values of its enclosing graphs).</summary>
    private sealed class Scope(GraphProto graph, string path, Scope? parent)
    {
        public GraphProto Graph { get; } = graph;

        public string Path { get; } = path;

        public Scope? Parent { get; } = parent;

        public GraphEditor Editor { get; } = new(graph);
    }

    /// <summary>The state of one run: the versions, the names taken anywhere in the model, the counters.</summary>
    private sealed class Upgrade
    {
        private readonly string file;
        private readonly long from;
        private readonly HashSet<string> names = new(StringComparer.Ordinal);

        public Upgrade(string file, long from, long target, GraphProto main)
        {
            this.file = file;
            this.from = from;
            Target = target;
            CollectNames(main);
        }

        public long Target { get; }

        public SortedDictionary<string, long> Counters { get; } = new(StringComparer.Ordinal);

        public int DropoutsReplaced { get; set; }

        public void UpgradeGraph(GraphProto graph, string path, Scope? parent)
        {
            var scope = new Scope(graph, path, parent);
            var nodes = graph.Node.ToList();
            for (var i = 0; i < nodes.Count; i++)
            {
                var node = nodes[i];
                var label = node.Name.Length > 0 ? node.Name : $"{node.OpType}#{i}";
                foreach (var attribute in node.Attribute)
                {
                    if (attribute.G is not null)
                    {
                        UpgradeGraph(attribute.G, $"{path}/{label}.{attribute.Name}", scope);
                    }

                    for (var g = 0; g < attribute.Graphs.Count; g++)
                    {
                        UpgradeGraph(attribute.Graphs[g], $"{path}/{label}.{attribute.Name}[{g}]", scope);
                    }
                }

                if (OnnxModel.NormalizeDomain(node.Domain).Length == 0)
                {
                    UpgradeNode(scope, node);
                }
            }
        }

        private void UpgradeNode(Scope scope, NodeProto node)
        {
            var opType = node.OpType;
            if (!Histories.TryGetValue(opType, out var history))
            {
                throw Fail(scope, node, $"{Names.Quote(opType)} is not a default-domain operator this pass knows");
            }

            if (history[0].Version > from)
            {
                throw Fail(scope, node, $"{Names.Quote(opType)} does not exist at opset {from} (it appeared at opset {history[0].Version})");
            }

            // The version the node is at: the newest since-version not after the model's opset.
            long current = history.Last(s => s.Version <= from).Version;
            var changed = false;
            if (opType == "Upsample" && current >= 10)
            {
                // Upsample-10 is Upsample-9 deprecated; it goes on as the Resize-10 it equals.
                CurrentStep = 10;
                changed = UpsampleToResize(this, scope, node);
                CurrentStep = null;
            }

            while (true)
            {
                var op = node.OpType;
                history = Histories[op];
                var next = history.FirstOrDefault(s => s.Version > current && s.Version <= Target);
                if (next is null)
                {
                    break;
                }

                CurrentStep = next.Version;
                if (next.Unsupported is not null)
                {
                    throw Fail(scope, node, $"{op}-{next.Version} {next.Unsupported}");
                }

                if (next.Handler is not null)
                {
                    changed |= next.Handler(this, scope, node);
                }

                CurrentStep = null;

                // A rewrite that turned the node into another operator (Upsample → Resize, Dropout → Identity...) goes on with
                // that operator's history from the same version.
                current = next.Version;
            }

            if (changed)
            {
                Counters[opType] = Counters.GetValueOrDefault(opType) + 1;
            }
        }

        /// <summary>The version step being applied, for messages.</summary>
        private int? CurrentStep { get; set; }

        public DeepSeekException Fail(Scope scope, NodeProto node, string reason)
        {
            var where = scope.Path == "main" ? "" : $"in subgraph {Names.Quote(scope.Path)}, ";
            var which = node.Name.Length > 0 ? $"node {Names.Quote(node.Name)}" : $"node {IndexOf(scope.Graph, node)}";
            var step = CurrentStep is { } v ? $" (at opset {v})" : "";
            return new DeepSeekException(DiagnosticIds.OperatorNotUpgradable, file,
                $"{where}{which} ({Names.Quote(node.OpType)}) cannot be upgraded from opset {from} to {Target}{step}: {reason}");
        }

        /// <summary>A value or node name no graph of the model uses yet, built from <paramref name="hint"/>.</summary>
        public string Fresh(Scope scope, string hint)
        {
            while (true)
            {
                var name = scope.Editor.UniqueName(hint);
                if (names.Add(name))
                {
                    return name;
                }
            }
        }

        public string AddInt64(Scope scope, NodeProto node, string what, long[] values)
        {
            var bytes = new byte[8 * values.Length];
            for (var i = 0; i < values.Length; i++)
            {
                BinaryPrimitives.WriteInt64LittleEndian(bytes.AsSpan(8 * i), values[i]);
            }

            return AddInitializer(scope, node, what, TensorProto.Types.DataType.Int64, [values.Length], bytes);
        }

        public string AddFloats(Scope scope, NodeProto node, string what, float[] values)
        {
            var bytes = new byte[4 * values.Length];
            for (var i = 0; i < values.Length; i++)
            {
                BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(4 * i), values[i]);
            }

            return AddInitializer(scope, node, what, TensorProto.Types.DataType.Float, [values.Length], bytes);
        }

        /// <summary>A scalar initializer of <paramref name="dataType"/> (float, double or float16: the types of Clip-6 and Pad-2).</summary>
        public string AddScalar(Scope scope, NodeProto node, string what, float value, int dataType)
        {
            byte[] bytes;
            switch ((TensorProto.Types.DataType)dataType)
            {
                case TensorProto.Types.DataType.Double:
                    bytes = new byte[8];
                    BinaryPrimitives.WriteDoubleLittleEndian(bytes, value);
                    break;
                case TensorProto.Types.DataType.Float16:
                    bytes = new byte[2];
                    BinaryPrimitives.WriteHalfLittleEndian(bytes, (Half)value);
                    break;
                case TensorProto.Types.DataType.Float:
                    bytes = new byte[4];
                    BinaryPrimitives.WriteSingleLittleEndian(bytes, value);
                    break;
                default:
                    throw Fail(scope, node,
                        $"its input has data type {dataType.ToString(CultureInfo.InvariantCulture)}, where {node.OpType} before opset 11 takes float16, float or double");
            }

            return AddInitializer(scope, node, what, (TensorProto.Types.DataType)dataType, [], bytes);
        }

        private string AddInitializer(Scope scope, NodeProto node, string what, TensorProto.Types.DataType type, long[] dims, byte[] bytes)
        {
            var tensor = new TensorProto { DataType = (int)type, RawData = ByteString.CopyFrom(bytes) };
            tensor.Dims.Add(dims);
            var hint = $"{Stem(node)}_{what}";
            var name = scope.Editor.AddInitializer(hint, tensor);
            while (!names.Add(name))
            {
                // Free in this graph but taken in another graph of the model: take the next one.
                name = scope.Editor.UniqueName(hint);
                tensor.Name = name;
            }

            return name;
        }

        /// <summary>Keeps the first <paramref name="count"/> outputs of <paramref name="node"/> and forgets the declared types of the others.</summary>
        public static void KeepOutputs(Scope scope, NodeProto node, int count)
        {
            while (node.Output.Count > count)
            {
                var removed = node.Output[^1];
                node.Output.RemoveAt(node.Output.Count - 1);
                for (var i = scope.Graph.ValueInfo.Count - 1; i >= 0 && removed.Length > 0; i--)
                {
                    if (scope.Graph.ValueInfo[i].Name == removed)
                    {
                        scope.Graph.ValueInfo.RemoveAt(i);
                    }
                }
            }

            scope.Editor.Invalidate();
        }

        /// <summary>Whether a node (here or in a subgraph) or a graph output reads <paramref name="value"/>.</summary>
        public static bool IsUsed(Scope scope, string value)
        {
            scope.Editor.Invalidate();
            return scope.Editor.Consumers(value).Count > 0 || scope.Editor.IsGraphOutput(value)
                || scope.Graph.Node.Any(n => n.Attribute.Any(a => (a.G is not null && Reads(a.G, value)) || a.Graphs.Any(g => Reads(g, value))));
        }

        private static bool Reads(GraphProto graph, string value)
            => graph.Output.Any(o => o.Name == value)
            || graph.Node.Any(n => n.Input.Contains(value) || n.Attribute.Any(a => (a.G is not null && Reads(a.G, value)) || a.Graphs.Any(g => Reads(g, value))));

        /// <summary>The element type of <paramref name="value"/> (else of <paramref name="sameType"/>) as declared anywhere in scope; float when unknown.</summary>
        public static int ElementType(Scope scope, string value, string sameType)
        {
            foreach (var name in new[] { value, sameType })
            {
                for (var s = scope; s is not null; s = s.Parent)
                {
                    var declared = Declared(s.Graph, name)?.Type?.TensorType?.ElemType ?? 0;
                    if (declared != 0)
                    {
                        return declared;
                    }

                    var constant = s.Graph.Initializer.FirstOrDefault(t => t.Name == name) ?? ConstantNodeValue(s, name);
                    if (constant is not null)
                    {
                        return constant.DataType;
                    }
                }
            }

            return (int)TensorProto.Types.DataType.Float;
        }

        /// <summary>The rank of <paramref name="value"/> as declared anywhere in scope, or null.</summary>
        public static int? Rank(Scope scope, string value)
        {
            for (var s = scope; s is not null; s = s.Parent)
            {
                if (Declared(s.Graph, value)?.Type?.TensorType?.Shape is { } shape)
                {
                    return shape.Dim.Count;
                }

                var constant = s.Graph.Initializer.FirstOrDefault(t => t.Name == value) ?? ConstantNodeValue(s, value);
                if (constant is not null)
                {
                    return constant.Dims.Count;
                }
            }

            return null;
        }

        private static ValueInfoProto? Declared(GraphProto graph, string value)
            => graph.Input.FirstOrDefault(v => v.Name == value)
            ?? graph.ValueInfo.FirstOrDefault(v => v.Name == value)
            ?? graph.Output.FirstOrDefault(v => v.Name == value);

        private static TensorProto? ConstantNodeValue(Scope scope, string value)
            => scope.Editor.Producer(value) is { OpType: "Constant" } node && OnnxModel.NormalizeDomain(node.Domain).Length == 0
                ? Attribute(node, "value")?.T
                : null;

        private void CollectNames(GraphProto graph)
        {
            names.UnionWith(graph.Input.Select(v => v.Name));
            names.UnionWith(graph.Output.Select(v => v.Name));
            names.UnionWith(graph.ValueInfo.Select(v => v.Name));
            names.UnionWith(graph.Initializer.Select(t => t.Name));
            names.UnionWith(graph.SparseInitializer.Where(t => t.Values is not null).Select(t => t.Values.Name));
            foreach (var node in graph.Node)
            {
                names.Add(node.Name);
                names.UnionWith(node.Output);
                foreach (var attribute in node.Attribute)
                {
                    if (attribute.G is not null)
                    {
                        CollectNames(attribute.G);
                    }

                    foreach (var g in attribute.Graphs)
                    {
                        CollectNames(g);
                    }
                }
            }
        }
    }
}
