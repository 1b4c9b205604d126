using DeepSeek.Engine.Data;
using DeepSeek.Engine.Graph;
using DeepSeek.Engine.Operators;
using DeepSeek.Engine.Passes;
using DeepSeek.Engine.Passes.Int8;
using DeepSeek.Engine.Profiles;
using DeepSeek.Engine.Runtime;
using DeepSeek.Engine.Verification;
using DeepSeek.Onnx.Model;
using DeepSeek.Onnx.Protobuf;
using Google.Protobuf;

namespace DeepSeek.Engine.Compression;

/// <summary>
/// Mixed precision for static INT8: when the all-int8 model falls short of the fidelity target on the calibration samples,
/// the weights and activations whose int8 form costs the most (each measured alone: a layer's weights fake-quantized in the
/// float model, or one activation with its QDQ pair) stay float, one more at a time, until the target holds or as many as an
/// eighth of the layers are float; where the profile narrows
/// weights to 7 bits (x64 without VNNI), the other saturation-safe form (8-bit weights with the session option
/// <c>session.x64quantprecision=1</c>, recorded for the runtime) is tried last. The candidate with the best fidelity wins.
/// </summary>
public static class MixedPrecision
{
    /// <summary>The mean cosine similarity to the original that static INT8 aims for when no budget says otherwise.</summary>
    public const double DefaultCosineTarget = 0.99;

    /// <summary>Samples used to measure fidelity and sensitivity.</summary>
    public const int Samples = 8;

    /// <summary>Runs the static pass on <paramref name="prepared"/> (in place) with the fewest float layers that meet the target.</summary>
    /// <returns>The pass's result, the layers kept in float, the fidelity reached, and each layer's measured sensitivity (worst
    /// first; empty when the all-int8 model met the target and no layer was measured).</returns>
    public static (PassResult Result, IReadOnlyList<string> FloatLayers, double Cosine, IReadOnlyList<LayerSensitivity> Sensitivity) Quantize(OnnxModel prepared, PassContext context, HardwareProfile profile,
        CalibrationResult calibration, IReadOnlyList<IReadOnlyDictionary<string, TensorValue>> samples, IProgress<string>? progress)
    {
        ArgumentNullException.ThrowIfNull(prepared);
        ArgumentNullException.ThrowIfNull(context);
        var probe = samples.Take(Samples).ToList();
        var names = new GraphEditor(prepared.Proto.Graph);
        foreach (var node in prepared.Proto.Graph.Node.Where(n => string.IsNullOrEmpty(n.Name)))
        {
            node.Name = names.UniqueName(node.OpType);
        }

        using var reference = ModelSession.Open(prepared.Proto.ToByteArray(), prepared.DisplayPath);
        var layers = prepared.Proto.Graph.Node.Count(n => OperatorRegistry.Is(n, e => e.RankedLayer));
        Candidate? best = null;
        IReadOnlyList<(string Node, string OpType, double Cosine)> ranking = [];
        Candidate Try(HardwareProfile form, List<string> floatLayers, IReadOnlySet<string>? floatActivations = null)
        {
            var candidate = new OnnxModel(prepared.Proto.Clone(), prepared.DisplayPath, prepared.BaseDirectory);
            var candidateContext = new PassContext(candidate);
            var ranges = floatActivations is null ? calibration.Ranges : calibration.Ranges.Where(r => !floatActivations.Contains(r.Key)).ToDictionary(StringComparer.Ordinal);
            var result = new StaticInt8QdqPass(form, ranges, floatLayers.ToHashSet(StringComparer.Ordinal), calibration.ChannelMeans, calibration.PatchCovariances).Run(candidateContext);
            var cosine = Fidelity(reference, candidate, candidateContext, probe);
            progress?.Report($"int8 ({form.Int8.WeightBits}-bit weights) with {floatLayers.Count} float layer(s), {floatActivations?.Count ?? 0} float activation(s): cosine {cosine:F4}");
            var c = new Candidate(candidate, candidateContext, result, [.. floatLayers], cosine) { FloatActivations = floatActivations ?? new HashSet<string>() };
            if (best is null || cosine > best.Cosine)
            {
                best = c;
            }

            return c;
        }

        // 1. Everything in int8 with the profile's own form.
        var allInt8 = Try(profile, []);
        if (allInt8.Cosine >= DefaultCosineTarget)
        {
            return Accept(best!);
        }

        // 2. The most sensitive layers' weights and activations in float, one more at a time (at most an eighth of the
        //    layers): each ranked by the fidelity the model keeps with only it quantized.
        var weightRanking = Rank(prepared, reference, profile.Int8.WeightBits, probe, progress);
        var quantizedActivations = allInt8.Model.Proto.Graph.Node.Where(n => n.OpType == "QuantizeLinear").Select(n => n.Input[0]).Where(calibration.Ranges.ContainsKey).ToList();
        var activationRanking = RankActivations(quantizedActivations, weightRanking.Select(r => r.Node).ToHashSet(StringComparer.Ordinal));
        ranking = [.. weightRanking.Concat(activationRanking).OrderBy(r => r.Cosine)];
        var chosen = new List<string>();
        var floatActivations = new HashSet<string>(StringComparer.Ordinal);
        foreach (var item in ranking.Take(Math.Max(1, layers / 8)))
        {
            if (item.OpType == ActivationKind)
            {
                floatActivations.Add(item.Node);
            }
            else
            {
                chosen.Add(item.Node);
            }

            if (Try(profile, chosen, new HashSet<string>(floatActivations, StringComparer.Ordinal)).Cosine >= DefaultCosineTarget)
            {
                return Accept(best!);
            }
        }

        // 3. Where the profile narrows weights to 7 bits to avoid saturation, the other saturation-safe form:
        //    full 8-bit weights with the session option that makes ONNX Runtime's x64 kernels exact.
        if (profile.Int8.WeightBits == 7 && profile.Int8.UnsignedActivations)
        {
            var options = new Dictionary<string, string>(profile.Int8.SessionOptions, StringComparer.Ordinal) { [X64QuantPrecision] = "1" };
            var precise = profile with { Int8 = profile.Int8 with { WeightBits = 8, SessionOptions = options } };
            Try(precise, []);
        }

        return Accept(best!);

        (PassResult, IReadOnlyList<string>, double, IReadOnlyList<LayerSensitivity>) Accept(Candidate c)
        {
            prepared.Proto.Graph = c.Model.Proto.Graph;
            prepared.Proto.OpsetImport.Clear();
            prepared.Proto.OpsetImport.AddRange(c.Model.Proto.OpsetImport);
            foreach (var (key, value) in c.Context.RequiredSessionOptions)
            {
                context.RequiredSessionOptions[key] = value;
            }

            return (c.Result, c.FloatLayers, c.Cosine, ranking.Select(r => new LayerSensitivity(r.Node, r.OpType, r.Cosine,
                r.OpType == ActivationKind ? c.FloatActivations.Contains(r.Node) : c.FloatLayers.Contains(r.Node))).ToArray());
        }

        // Activations by the fidelity the float model keeps with only that one quantized (weights float).
        List<(string Node, string OpType, double Cosine)> RankActivations(List<string> values, IReadOnlySet<string> floatWeights)
        {
            var costs = new List<(string Node, string OpType, double Cosine)>();
            foreach (var value in values)
            {
                progress?.Report($"measuring the int8 sensitivity of activation {value}");
                var candidate = new OnnxModel(prepared.Proto.Clone(), prepared.DisplayPath, prepared.BaseDirectory);
                var candidateContext = new PassContext(candidate);
                var only = new Dictionary<string, ActivationRange>(StringComparer.Ordinal) { [value] = calibration.Ranges[value] };
                new StaticInt8QdqPass(profile, only, floatWeights).Run(candidateContext);
                costs.Add((value, ActivationKind, Fidelity(reference, candidate, candidateContext, probe)));
            }

            return costs;
        }
    }

    /// <summary>The <see cref="LayerSensitivity.OpType"/> of an activation (a tensor between layers) in the ranking.</summary>
    public const string ActivationKind = "activation";

    /// <summary>The ONNX Runtime session option under which its x64 u8s8 kernels do not saturate.</summary>
    public const string X64QuantPrecision = "session.x64quantprecision";

    private sealed record Candidate(OnnxModel Model, PassContext Context, PassResult Result, IReadOnlyList<string> FloatLayers, double Cosine)
    {
        public IReadOnlySet<string> FloatActivations { get; init; } = new HashSet<string>();
    }

    private static double Fidelity(ModelSession reference, OnnxModel candidate, PassContext context, IReadOnlyList<IReadOnlyDictionary<string, TensorValue>> samples)
    {
        using var session = ModelSession.Open(candidate.Proto.ToByteArray(), candidate.DisplayPath,
            new SortedDictionary<string, string>(context.RequiredSessionOptions, StringComparer.Ordinal));
        return Evaluator.Compare(reference, session, samples, null, "calibration", candidate.DisplayPath).Outputs.Select(o => o.MeanCosine).DefaultIfEmpty(1).Min();
    }

    /// <summary>Layers by the fidelity their int8 weights alone cost, worst first, with the cosine each gave.</summary>
    private static (string Node, string OpType, double Cosine)[] Rank(OnnxModel prepared, ModelSession reference, int bits, IReadOnlyList<IReadOnlyDictionary<string, TensorValue>> samples, IProgress<string>? progress)
    {
        var costs = new List<(string Node, string OpType, double Cosine)>();
        var nodes = prepared.Proto.Graph.Node.Where(n => OperatorRegistry.Is(n, e => e.RankedLayer)).ToArray();
        var editor = new GraphEditor(prepared.Proto.Graph);
        foreach (var node in nodes)
        {
            var weight = OperatorRegistry.Weight(node, editor);
            if (weight is null)
            {
                continue;
            }

            progress?.Report($"measuring the int8 sensitivity of {node.Name}");
            var probe = prepared.Proto.Clone();
            var values = Tensors.ReadFloats(weight, prepared);
            float[] fake;
            if (OperatorRegistry.Find(node)!.Layout == WeightLayout.OutputChannelsFirst)
            {
                var channels = (int)weight.Dims[0];
                var (q, scales) = WeightQuantization.PerOuterChannel(values, channels, bits);
                var inner = values.Length / channels;
                fake = q.Select((v, i) => v * scales[i / inner]).ToArray();
            }
            else
            {
                var columns = (int)weight.Dims[1];
                var (q, scales) = WeightQuantization.PerColumn(values, (int)weight.Dims[0], columns, bits);
                fake = q.Select((v, i) => v * scales[i % columns]).ToArray();
            }

            var target = probe.Graph.Initializer.FirstOrDefault(t => t.Name == weight.Name);
            if (target is null)
            {
                continue; // a Constant node's value: rare in conv nets; not ranked
            }

            target.RawData = ByteString.CopyFrom(System.Runtime.InteropServices.MemoryMarshal.AsBytes(fake.AsSpan()));
            target.FloatData.Clear();
            using var session = ModelSession.Open(probe.ToByteArray(), prepared.DisplayPath);
            var cosine = Evaluator.Compare(reference, session, samples, null, "calibration", prepared.DisplayPath).Outputs.Select(o => o.MeanCosine).DefaultIfEmpty(1).Min();
            costs.Add((node.Name, node.OpType, cosine));
        }

        return costs.OrderBy(c => c.Cosine).ToArray();
    }
}
