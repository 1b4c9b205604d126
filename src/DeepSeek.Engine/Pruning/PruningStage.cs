using System.Globalization;
using DeepSeek.Engine.Data;
using DeepSeek.Engine.Graph;
using DeepSeek.Engine.Runtime;
using DeepSeek.Onnx.Diagnostics;
using DeepSeek.Onnx.Model;
using DeepSeek.Onnx.Protobuf;
using Google.Protobuf;

namespace DeepSeek.Engine.Pruning;

/// <summary>What the prune stage needs from the compressor: the model, the request, samples, and a check of a candidate
/// against the accuracy budget on the samples at the indices given (null: all), returning null when within it, else what missed.</summary>
internal sealed record PruningInputs(OnnxModel Model, PruneSettings Settings, double Limit, IReadOnlyList<IReadOnlyDictionary<string, TensorValue>> Samples,
    Func<OnnxModel, IReadOnlyList<int>?, string?> CheckBudget, IProgress<string>? Progress, CancellationToken Cancellation);

/// <summary>
/// The <c>prune</c> stage: removes channels (or zeroes weights) in the working model, as much of the request as the accuracy
/// budget lets through. Channel modes measure each prunable layer's sensitivity (the outputs' cosine with that layer alone
/// pruned at the requested share), give less sensitive layers larger shares so that the weighted mean is the request, then
/// check the whole model: a share that misses the budget is halved towards nothing (docs/recipes.md, "Pruning").
/// </summary>
internal static class PruningStage
{
    /// <summary>Samples used to measure sensitivity and layer statistics.</summary>
    public const int MaxSamples = 16;

    /// <summary>The fewest samples the budget is checked on without the ones the refits were fitted on (fewer: on all of them).</summary>
    public const int MinChecked = 8;

    /// <summary>The most the original's Conv inputs may take, kept for refits on the partly pruned model (ResNet-18: 8 samples,
    /// tens of MiB); above it consumers are refitted on the original's moments alone.</summary>
    public const double MaxCapturedBytes = 1L << 30;

    /// <summary>The shares tried, as fractions of the request, largest first.</summary>
    public static IReadOnlyList<double> Steps { get; } = [1, 0.75, 0.5, 0.35, 0.25, 0.125];

    /// <summary>No layer loses more than this share of its units.</summary>
    public const double MaxLayerShare = 0.9;

    public static PruningReport Run(PruningInputs inputs)
    {
        if (inputs.Model.HasExternalData)
        {
            throw new DeepSeekException(DiagnosticIds.InvalidOption, "--prune", "pruning does not take models that keep their weights in external data yet",
                "leave Prune/Sparsity out for this model, or quantize it (int4, int8-dynamic) without pruning");
        }

        return inputs.Settings.Mode == PruneMode.Magnitude ? Magnitude(inputs) : Channels(inputs);
    }

    private static PruningReport Channels(PruningInputs inputs)
    {
        var model = inputs.Model;
        var settings = inputs.Settings;

        // A channel's filter norm means something only with its BatchNormalization scale in it: fold first; a Gemm (PyTorch's
        // Linear) becomes MatMul + Add, the form whose units are followed and refitted. Both are exact.
        var context = new DeepSeek.Engine.Passes.PassContext(model) { Cancellation = inputs.Cancellation };
        _ = new DeepSeek.Engine.Passes.FoldBatchNormPass().Run(context);
        _ = new DeepSeek.Engine.Passes.GemmToMatMulPass().Run(context);
        var groups = UnitGroups.Find(new GraphEditor(model.Proto.Graph));
        var total = model.Graph.Weights().Sum(w => w.Elements);
        if (groups.Count == 0)
        {
            inputs.Progress?.Report("pruning: no layer's units can be removed without changing others (every channel meets a residual addition, concatenation or output)");
            return new PruningReport(settings.ToString(), settings.Fraction, 0, 0, [], []);
        }

        // The consumers are refitted on every other sample, and sensitivity and the budget are measured on the others: a refit
        // judged on its own rows would look perfect. Alternate samples, so that a folder in order of class (or of photo) gives
        // both halves some of each: fitted on the first 8 of ResNet-18's calibration views (all of one photo), 30 % of its
        // channels held 0.80 and 0.77 on two photos never seen; fitted on alternate views, 0.985 and 0.976.
        var samples = inputs.Samples.Take(MaxSamples).ToList();
        var fitted = samples.Where((_, i) => i % 2 == 0).ToList();
        var measured = samples.Count > 1 ? samples.Where((_, i) => i % 2 == 1).ToList() : samples;
        inputs.Progress?.Report($"pruning: {groups.Count} prunable layer(s); measuring their inputs");
        var moments = UnitStatistics.Collect(model, groups, fitted, inputs.Progress, inputs.Cancellation);

        // Attention heads whose mask turned out to carry heads of its own (a per-head bias) stay whole.
        var chosen = Enumerable.Range(0, groups.Count).Where(g => groups[g].Broadcasts.All(b => Broadcasts(moments[b.Value].Shape, b.FromRight))).ToArray();
        var all = groups;
        groups = chosen.Select(g => all[g]).ToList();
        var scores = groups.Select(g => ChannelPruner.Scores(model, new GraphEditor(model.Proto.Graph), g, settings.Mode, moments)).ToList();
        var reference = Outputs(model.Proto, measured, model.DisplayPath);
        var request = Math.Min(settings.Fraction, inputs.Limit);

        // Sensitivity: each layer alone at the requested share, and at least one block of aligned units (a small request that
        // rounds to nothing would measure no loss, and the allocation would then give that layer the most).
        var loss = new double[groups.Count];
        for (var g = 0; g < groups.Count; g++)
        {
            inputs.Cancellation.ThrowIfCancellationRequested();
            inputs.Progress?.Report($"pruning sensitivity {g + 1}/{groups.Count}: {groups[g].Name}");
            var shares = new double[groups.Count];
            var block = groups[g].Units >= AlignedFrom ? (double)Alignment / groups[g].Units : 0;
            shares[g] = Math.Min(MaxLayerShare, Math.Max(settings.Fraction, block));
            var candidate = Pruned(model, chosen, shares, scores, moments);
            loss[g] = 1 - MeanCosine(reference, Outputs(candidate.Proto, measured, model.DisplayPath));
        }

        // A layer's work: its weights times the positions they are applied at (a convolution's output pixels, a MatMul's rows).
        var weights = groups.Select(g => (double)g.Units * g.ParametersPerUnit).ToList();
        var cost = groups.Select((g, i) => weights[i] * Positions(g, moments)).ToList();
        // The budget is checked on the samples the refits were not fitted on, when there are enough of them.
        var unfitted = Enumerable.Range(0, inputs.Samples.Count).Where(i => i >= samples.Count || i % 2 == 1).ToList();
        IReadOnlyList<int>? check = unfitted.Count >= MinChecked ? unfitted : null;
        var tried = new List<string>();
        var convValues = groups.Where(g => g.Consumers.Any(c => c.Node.OpType == "Conv")).SelectMany(g => g.ConsumedValues).ToHashSet(StringComparer.Ordinal);
        var captured = convValues.Sum(v => moments.GetValueOrDefault(v)?.Shape.Aggregate(4.0, (a, d) => a * Math.Max(1, d)) ?? 0) * fitted.Count;
        if (captured > MaxCapturedBytes)
        {
            inputs.Progress?.Report(string.Create(CultureInfo.InvariantCulture, $"pruning: the Conv layers' inputs would take {captured / (1 << 20):0} MiB to keep; consumers are refitted on the original's moments only"));
        }

        var original = convValues.Count == 0 || captured > MaxCapturedBytes ? null : UnitStatistics.Capture(model, convValues, fitted, inputs.Cancellation);
        foreach (var step in Steps)
        {
            var target = request * step;
            var shares = Allocate(weights, cost, loss, target);
            var candidate = Pruned(model, chosen, shares, scores, moments,
                original is null ? null : (copy, group) => UnitStatistics.Drift(copy, group, fitted, original, inputs.Cancellation));
            inputs.Progress?.Report(string.Create(CultureInfo.InvariantCulture, $"pruning: checking {target:0.###} of the prunable weights against the budget"));
            var missed = inputs.CheckBudget(candidate, check);
            if (missed is not null)
            {
                tried.Add(string.Create(CultureInfo.InvariantCulture, $"{target:0.###}: {missed}"));
                continue;
            }

            // Ship it: the working model becomes the candidate.
            Adopt(model.Proto.Graph, candidate.Proto.Graph);
            var layers = new List<PrunedLayer>();
            long removed = 0, prunable = 0;
            for (var g = 0; g < groups.Count; g++)
            {
                var kept = groups[g].Units - Removed(groups[g], shares[g]);
                layers.Add(new PrunedLayer(groups[g].Name, groups[g].Kind, groups[g].Units, kept, loss[g]));
                removed += (groups[g].Units - kept) * groups[g].ParametersPerUnit;
                prunable += groups[g].Units * groups[g].ParametersPerUnit;
            }

            // Of the whole model, what really went: a Conv between two pruned layers loses input and output channels, counted in both.
            var left = model.Graph.Weights().Sum(w => w.Elements);
            return new PruningReport(settings.ToString(), settings.Fraction, prunable == 0 ? 0 : (double)removed / prunable, total == 0 ? 0 : 1 - ((double)left / total), layers, tried);
        }

        inputs.Progress?.Report("pruning: no share within the budget; nothing removed");
        return new PruningReport(settings.ToString(), settings.Fraction, 0, 0,
            groups.Select((g, i) => new PrunedLayer(g.Name, g.Kind, g.Units, g.Units, loss[i])).ToList(), tried);
    }

    private static PruningReport Magnitude(PruningInputs inputs)
    {
        var model = inputs.Model;
        var settings = inputs.Settings;
        var total = model.Graph.Weights().Sum(w => w.Elements);
        var tried = new List<string>();
        var steps = settings.Pattern is null ? Steps : [1.0];
        foreach (var step in steps)
        {
            var share = Math.Min(settings.Fraction, inputs.Limit) * step;
            var candidate = new OnnxModel(model.Proto.Clone(), model.DisplayPath, model.BaseDirectory);
            var editor = new GraphEditor(candidate.Proto.Graph);
            var layers = MagnitudePruning.Apply(candidate, editor, share, settings.Pattern, inputs.Cancellation);
            _ = editor.RemoveUnusedInitializers();
            var missed = inputs.CheckBudget(candidate, null);
            if (missed is not null && settings.Pattern is null)
            {
                tried.Add(string.Create(CultureInfo.InvariantCulture, $"{share:0.###}: {missed}"));
                continue;
            }

            // An N:M pattern is exact: it ships as asked and the final verification says whether it holds.
            Adopt(model.Proto.Graph, candidate.Proto.Graph);
            var before = layers.Sum(l => l.Before);
            var zeroed = layers.Sum(l => l.Before - l.After);
            return new PruningReport(settings.ToString(), settings.Pattern?.Sparsity ?? settings.Fraction, before == 0 ? 0 : (double)zeroed / before,
                total == 0 ? 0 : (double)zeroed / total, layers, tried);
        }

        return new PruningReport(settings.ToString(), settings.Fraction, 0, 0, [], tried);
    }

    /// <summary>The working graph takes the candidate's nodes, weights and declared values (its inputs and outputs are the same).</summary>
    private static void Adopt(GraphProto target, GraphProto source)
    {
        target.Node.Clear();
        target.Node.AddRange(source.Node);
        target.Initializer.Clear();
        target.Initializer.AddRange(source.Initializer);
        target.ValueInfo.Clear();
        target.ValueInfo.AddRange(source.ValueInfo);
    }

    /// <summary>
    /// Units a group loses at <paramref name="share"/>, at least one staying. In a layer of <see cref="AlignedFrom"/> units or
    /// more, the units kept are rounded to the nearest multiple of <see cref="Alignment"/>: ONNX Runtime's kernels work in
    /// blocks of channels, and an INT8 convolution cut from 64 to 51 output channels ran 1.7x slower than the 64-channel one
    /// (docs/benchmarks.md, "Pruning and sparsity").
    /// </summary>
    private static int Removed(UnitGroup group, double share)
    {
        var removed = (int)Math.Round(group.Units * share);
        if (group.Units >= AlignedFrom && removed > 0)
        {
            var kept = (int)Math.Round((group.Units - removed) / (double)Alignment, MidpointRounding.AwayFromZero) * Alignment;
            removed = group.Units - Math.Max(Alignment, kept);
        }

        return Math.Clamp(removed, 0, group.Units - 1);
    }

    /// <summary>The multiple that kept units are rounded to in layers of <see cref="AlignedFrom"/> units or more.</summary>
    private const int Alignment = 16;

    /// <summary>The smallest layer whose kept units are aligned.</summary>
    private const int AlignedFrom = 64;

    /// <summary>Whether a shape has size 1 on the axis <paramref name="fromRight"/> places from the right (or not that many axes).</summary>
    private static bool Broadcasts(IReadOnlyList<long> shape, int fromRight) => shape.Count < fromRight || shape[^fromRight] == 1;

    /// <summary>
    /// A copy of <paramref name="model"/> with each chosen group (an index into <see cref="UnitGroups.Find"/>) pruned by its
    /// share. With <paramref name="drift"/> null every consumer is refitted on the original model's moments; else a group with
    /// Conv consumers, pruned after others, is refitted on what the partly pruned copy feeds them against what the original
    /// did (<see cref="UnitStatistics.Drift"/>), so that each layer's refit also takes back the error of the layers before it.
    /// </summary>
    internal static OnnxModel Pruned(OnnxModel model, int[] chosen, double[] shares, List<double[]> scores, IReadOnlyDictionary<string, UnitMoments> moments,
        Func<OnnxModel, UnitGroup, IReadOnlyDictionary<string, UnitMoments>>? drift = null)
    {
        var copy = new OnnxModel(model.Proto.Clone(), model.DisplayPath, model.BaseDirectory);
        var editor = new GraphEditor(copy.Proto.Graph);
        var groups = UnitGroups.Find(editor); // the same layers, in the same order, on the copy's nodes
        var changed = false;
        // Layers concatenated into one tensor are cut from its consumers last offset first, so that the offsets of the others still hold.
        foreach (var g in Enumerable.Range(0, chosen.Length).OrderByDescending(g => groups[chosen[g]].Consumers.Concat(groups[chosen[g]].PerUnit).Max(s => (int?)s.Offset) ?? 0))
        {
            var group = groups[chosen[g]];
            var remove = Removed(group, shares[g]);
            if (remove > 0)
            {
                var used = moments;
                if (drift is not null && changed && group.Consumers.Any(c => c.Node.OpType == "Conv"))
                {
                    _ = editor.RemoveUnusedInitializers();
                    var measured = drift(copy, group);
                    used = measured.Count == 0 ? moments : moments.Where(kv => !measured.ContainsKey(kv.Key)).Concat(measured).ToDictionary(StringComparer.Ordinal);
                }

                ChannelPruner.Apply(copy, editor, group, ChannelPruner.Keep(scores[g], remove), used);
                changed = true;
            }
        }

        editor.SortTopologically(); // attention heads' reshape targets are new Concat nodes
        _ = editor.RemoveUnusedInitializers();
        return copy;
    }

    /// <summary>
    /// Shares per layer whose mean, weighted by the layer's weights, is <paramref name="target"/>: proportional to the layer's
    /// cost (its weights times the positions each is applied at: multiply-adds) over its sensitivity, capped at
    /// <see cref="MaxLayerShare"/>. If a layer's loss grows as the square of its share (lᵢ·(s/s₀)², lᵢ measured at s₀), this
    /// removes a given amount of work for the least total loss. On arctic-embed-xs it held 0.9915 pooled at 0.3 of the
    /// prunable weights, where shares ∝ 1/√sensitivity held 0.9845.
    /// </summary>
    internal static double[] Allocate(IReadOnlyList<double> weights, IReadOnlyList<double> cost, IReadOnlyList<double> loss, double target)
    {
        var floor = 1e-6 + (0.01 * loss.DefaultIfEmpty(0).Average());
        var reach = loss.Select((l, g) => cost[g] / (Math.Max(0, l) + floor)).ToArray();
        var goal = target * weights.Sum();
        double Share(double c, int g) => Math.Min(MaxLayerShare, c * reach[g]);
        double Mass(double c) => weights.Select((w, g) => w * Share(c, g)).Sum();
        double low = 0, high = 1;
        while (Mass(high) < goal && high < 1e12)
        {
            high *= 2;
        }

        for (var i = 0; i < 100; i++)
        {
            var mid = (low + high) / 2;
            (low, high) = Mass(mid) < goal ? (mid, high) : (low, mid);
        }

        return Enumerable.Range(0, weights.Count).Select(g => Share(high, g)).ToArray();
    }

    private static double Positions(UnitGroup group, IReadOnlyDictionary<string, UnitMoments> moments)
        => moments.GetValueOrDefault(group.ConsumedValues[0])?.Shape is { Count: > 0 } shape
            ? Math.Max(1, shape.Aggregate(1.0, (a, d) => a * Math.Max(1, d)) / ((double)group.Units * group.Width))
            : 1;

    private static List<Dictionary<string, float[]>> Outputs(ModelProto proto, IReadOnlyList<IReadOnlyDictionary<string, TensorValue>> samples, string file)
    {
        using var session = ModelSession.Open(proto.ToByteArray(), file);
        return samples.Select(s => session.Run(s, null, file).Where(kv => kv.Value.Data is float[]).ToDictionary(kv => kv.Key, kv => (float[])kv.Value.Data, StringComparer.Ordinal)).ToList();
    }

    /// <summary>The mean over samples and float outputs of the cosine between flattened outputs.</summary>
    private static double MeanCosine(List<Dictionary<string, float[]>> a, List<Dictionary<string, float[]>> b)
    {
        double sum = 0;
        var count = 0;
        for (var s = 0; s < a.Count; s++)
        {
            foreach (var (name, x) in a[s])
            {
                var y = b[s][name];
                var denominator = Math.Sqrt(System.Numerics.Tensors.TensorPrimitives.Dot(x, x)) * Math.Sqrt(System.Numerics.Tensors.TensorPrimitives.Dot(y, y));
                sum += denominator == 0 ? 1 : System.Numerics.Tensors.TensorPrimitives.Dot(x, y) / denominator;
                count++;
            }
        }

        return count == 0 ? 1 : sum / count;
    }
}
