
namespace DeepSeek.Engine.Passes;

/// <summary>
/// Makes every constant an initializer that no caller can override, so that each later pass finds weights in one place:
/// <list type="bullet">
/// <item>Before IR 4 every initializer also had to be a graph input, which makes weights look overridable. Such a model is
/// raised to IR 4 (a change with no other effect) and its initializers are dropped from the inputs.</item>
/// <item><c>Constant</c> nodes with a tensor <c>value</c> (PaddlePaddle and some other exporters store every weight so)
/// become initializers of the same name. Before, the quantizers added int8 copies and left the float nodes in the graph:
/// a "compressed" model of 143 %.</item>
/// </list>
/// </summary>
public sealed class ConstantInitializersPass : IGraphPass
{
    /// <inheritdoc />
    public string Name => "constant-initializers";

    /// <inheritdoc />
    public PassResult Run(PassContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var proto = context.Model.Proto;
        var initializers = proto.Graph.Initializer.Select(t => t.Name).ToHashSet(StringComparer.Ordinal);
        var removed = 0;
        for (var i = proto.Graph.Input.Count - 1; i >= 0; i--)
        {
            if (initializers.Contains(proto.Graph.Input[i].Name))
            {
                proto.Graph.Input.RemoveAt(i);
                removed++;
            }
        }

        var oldIr = proto.IrVersion;
        var outputs = proto.Graph.Output.Select(o => o.Name).ToHashSet(StringComparer.Ordinal);
        var converted = 0;
        for (var i = proto.Graph.Node.Count - 1; i >= 0; i--)
        {
            var node = proto.Graph.Node[i];
            if (node is not { OpType: "Constant", Domain: "" or "ai.onnx" } || node.Output.Count != 1 || outputs.Contains(node.Output[0])
                || node.Attribute.Count != 1 || node.Attribute[0] is not { Name: "value", T: { } tensor })
            {
                continue;
            }

            var initializer = tensor.Clone();
            initializer.Name = node.Output[0];
            proto.Graph.Initializer.Add(initializer);
            proto.Graph.Node.RemoveAt(i);
            converted++;
        }

        if ((removed > 0 || converted > 0) && proto.IrVersion < 4)
        {
            proto.IrVersion = 4; // an initializer that is not an input needs IR 4
        }

        var summary = (removed, converted) switch
        {
            (0, 0) => "no initializer was listed as an input, no weight was a Constant node",
            _ => $"{removed} initializer(s) no longer listed as inputs, {converted} Constant node(s) made initializers"
                 + (oldIr != proto.IrVersion ? $"; IR {oldIr} → {proto.IrVersion}" : ""),
        };
        return new PassResult(Name, summary, new Dictionary<string, long> { ["inputsRemoved"] = removed, ["constantsConverted"] = converted });
    }
}
