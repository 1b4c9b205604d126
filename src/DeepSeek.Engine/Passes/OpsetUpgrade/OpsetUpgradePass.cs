using DeepSeek.Onnx.Diagnostics;
using DeepSeek.Onnx.Model;
using DeepSeek.Onnx.Protobuf;

namespace DeepSeek.Engine.Passes;

/// <summary>
/// Upgrades the default ONNX domain (<c>""</c> / <c>ai.onnx</c>) of a model, main graph and subgraphs, from its opset to a
/// target opset (13 by default: per-channel QuantizeLinear/DequantizeLinear need it), following the ONNX operator changelog.
/// </summary>
/// <remarks>
/// <para>
/// Every operator the pass knows has its history: the opset versions at which a new version of it appeared (ONNX
/// <c>onnx/defs/operator_sets.h</c>). For each node, each version between the node's current version and the target is
/// either compatible for the forms a model can hold (only types were added, a clarification, a new attribute whose default
/// keeps the old behaviour — the steps the ONNX version converter registers as <c>CompatibleAdapter</c>), or a rewrite:
/// </para>
/// <list type="bullet">
/// <item>Upsample (9: <c>scales</c> attribute to an input; 10: deprecated, becomes Resize) and Resize (11: an empty
/// <c>roi</c> input, <c>coordinate_transformation_mode</c> <c>asymmetric</c>, and for nearest <c>nearest_mode</c>
/// <c>floor</c>, or <c>ceil</c> when every scale shrinks — what Upsample and Resize-10 computed).</item>
/// <item>Slice (10), TopK (10), Clip (11), Pad (11), Split (13), Squeeze/Unsqueeze/ReduceSum (13), the other Reduce
/// operators (18): attributes to int64 (or typed scalar) initializers read as inputs; Split (18) gets
/// <c>num_outputs</c>.</item>
/// <item>Softmax, LogSoftmax, Hardmax (13): "coerce to 2-D at axis" became "along axis"; unless the axis is the last one,
/// the node becomes Shape + Flatten(axis) + op(axis=-1) + Reshape, as the ONNX converter does.</item>
/// <item>Dropout (10, 12): replaced by Identity, which is what Dropout computes at inference.</item>
/// <item>BatchNormalization (9: <c>spatial</c> removed, 1 is dropped and 0 refused; 14: only the first output).</item>
/// <item>Scatter (11: becomes ScatterElements), RoiAlign (16: the old <c>output_half_pixel</c> made explicit),
/// GridSample (20: modes renamed).</item>
/// </list>
/// <para>
/// An operator the pass does not know, one that did not exist at the model's opset, or a version step without a faithful
/// rewrite (Scan-9, GroupNormalization-21, DFT-20) is a <see cref="DiagnosticIds.OperatorNotUpgradable"/> error naming the
/// node, and the model is left as it was. The default-domain opset import becomes the target, and the IR version is raised
/// to what the target opset needs. Nodes of other domains and model-local functions are not touched.
/// </para>
/// </remarks>
public sealed partial class OpsetUpgradePass : IGraphPass
{
    /// <summary>The oldest default-domain opset the pass upgrades from (opset 7 brought numpy broadcasting and dropped <c>is_test</c>).</summary>
    public const long MinimumSourceOpset = 7;

    /// <summary>The newest opset the pass upgrades to.</summary>
    public const long MaximumTargetOpset = 23;

    private static readonly Dictionary<string, Step[]> Histories = BuildHistories();

    /// <summary>Creates the pass for <paramref name="targetOpset"/> (8 to <see cref="MaximumTargetOpset"/>).</summary>
    public OpsetUpgradePass(long targetOpset = 13)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(targetOpset, MinimumSourceOpset + 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(targetOpset, MaximumTargetOpset);
        TargetOpset = targetOpset;
    }

    /// <inheritdoc/>
    public string Name => "opset-upgrade";

    /// <summary>The default-domain opset the model is upgraded to.</summary>
    public long TargetOpset { get; }

    /// <summary>The lowest IR version a model importing <paramref name="opset"/> of the default domain may declare (the ONNX release table).</summary>
    public static long RequiredIrVersion(long opset) => opset switch
    {
        <= 8 => 3,
        9 => 4,
        10 => 5,
        11 => 6,
        <= 14 => 7,
        <= 18 => 8,
        <= 20 => 9,
        <= 22 => 10,
        _ => 11,
    };

    /// <inheritdoc/>
    public PassResult Run(PassContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var proto = context.Model.Proto;
        var imports = proto.OpsetImport.Where(o => OnnxModel.NormalizeDomain(o.Domain).Length == 0).ToList();
        if (imports.Count == 0)
        {
            return PassResult.Of(Name, "the model imports no default-domain opset; nothing to upgrade");
        }

        var from = imports.Max(o => o.Version);
        if (from >= TargetOpset)
        {
            return PassResult.Of(Name, $"already at opset {from} (target {TargetOpset}); unchanged");
        }

        if (from < MinimumSourceOpset)
        {
            throw new DeepSeekException(DiagnosticIds.OperatorNotUpgradable, context.File,
                $"the model imports opset {from} of the default domain; upgrades to opset {TargetOpset} start at opset {MinimumSourceOpset}");
        }

        var original = proto.Graph
            ?? throw new DeepSeekException(DiagnosticIds.MissingGraph, context.File, "the model has no graph");

        // Work on a copy (tensor bytes are shared, not copied) so that a node that cannot be upgraded leaves the model as it was.
        var work = original.Clone();
        var upgrade = new Upgrade(context.File, from, TargetOpset, work);
        upgrade.UpgradeGraph(work, "main", parent: null);

        original.Node.Clear();
        original.Node.Add(work.Node);
        original.Initializer.Clear();
        original.Initializer.Add(work.Initializer);
        original.Input.Clear();
        original.Input.Add(work.Input);
        original.ValueInfo.Clear();
        original.ValueInfo.Add(work.ValueInfo);

        foreach (var import in imports)
        {
            import.Version = TargetOpset;
        }

        var irBefore = proto.IrVersion;
        var irRequired = RequiredIrVersion(TargetOpset);
        if (proto.IrVersion < irRequired)
        {
            proto.IrVersion = irRequired;
        }

        var rewritten = upgrade.Counters.Values.Sum();
        var summary = $"opset {from} → {TargetOpset}" + (irBefore != proto.IrVersion ? $", IR {irBefore} → {proto.IrVersion}" : "")
            + $": {rewritten} node(s) rewritten"
            + (rewritten > 0 ? " (" + string.Join(", ", upgrade.Counters.Select(c => $"{c.Key} {c.Value}")) + ")" : "")
            + (upgrade.DropoutsReplaced > 0 ? $"; {upgrade.DropoutsReplaced} Dropout replaced by Identity (what Dropout computes at inference)" : "");
        context.Log.Report($"{Name}: {summary}");
        return new PassResult(Name, summary, new SortedDictionary<string, long>(upgrade.Counters, StringComparer.Ordinal));
    }

    // ---- The operator histories -------------------------------------------------------------------------------------

    /// <summary>One version of an operator: compatible (no handler, no reason), a rewrite, or a step without a faithful rewrite.</summary>
    private sealed record Step(int Version, Rewrite? Handler = null, string? Unsupported = null);

    /// <summary>Rewrites a node to the step's version; true when it changed the node. It may change the op type.</summary>
    private delegate bool Rewrite(Upgrade upgrade, Scope scope, NodeProto node);

}
