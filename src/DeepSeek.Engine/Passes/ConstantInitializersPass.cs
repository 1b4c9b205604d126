
namespace DeepSeek.Engine.Passes;

/// <summary>
/// Before IR 4 every initializer also had to be a graph input, which makes weights look overridable. This pass raises such a
/// model to IR 4 (a change with no other effect) and drops initializers from the inputs, so that later passes may treat
/// weights as constants and callers see only the real inputs.
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
        if (removed > 0 && proto.IrVersion < 4)
        {
            proto.IrVersion = 4;
        }

        return new PassResult(Name, removed == 0 ? "no initializer was listed as an input" : $"{removed} initializer(s) no longer listed as inputs; IR {oldIr} → {proto.IrVersion}",
            new Dictionary<string, long> { ["inputsRemoved"] = removed });
    }
}
