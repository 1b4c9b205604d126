using DeepSeek.Onnx.Model;

namespace DeepSeek.Onnx.Inspection;

/// <summary>Computes a <see cref="ModelSummary"/>: metadata, interface, operator histogram and parameters wherever they live.</summary>
public static class ModelInspector
{
    /// <summary>Summarizes a model that the reader has validated.</summary>
    public static ModelSummary Inspect(OnnxModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        var proto = model.Proto;
        var graphs = model.Graph.SelfAndDescendants().ToArray();
        var operators = graphs.SelectMany(g => g.Nodes)
            .GroupBy(n => (Domain: OnnxModel.NormalizeDomain(n.Domain), n.OpType))
            .Select(g => new OperatorCount(g.Key.Domain, g.Key.OpType, g.Count()))
            .OrderByDescending(o => o.Count).ThenBy(o => o.DisplayName, StringComparer.Ordinal)
            .ToArray();

        var weights = model.Graph.Weights().ToArray();
        var parameters = new ParameterSummary(
            weights.Sum(w => w.Elements),
            weights.Sum(w => w.Bytes),
            weights.Length,
            Group(weights, w => DataTypes.Name(w.DataType)),
            Group(weights, w => LocationName(w.Location)),
            weights.Where(w => w.ExternalFile is not null).Select(w => w.ExternalFile!).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToArray());

        return new ModelSummary(
            model.DisplayPath,
            proto.IrVersion,
            proto.ProducerName,
            proto.ProducerVersion,
            proto.Domain,
            proto.ModelVersion,
            model.Opsets,
            model.Graph.Inputs,
            model.Graph.Outputs,
            graphs.Sum(g => g.Nodes.Count),
            operators,
            parameters);
    }

    /// <summary>The name a location has in reports and JSON.</summary>
    public static string LocationName(WeightLocation location) => location switch
    {
        WeightLocation.Initializer => "initializer",
        WeightLocation.External => "external",
        WeightLocation.ConstantNode => "constant-node",
        WeightLocation.SparseInitializer => "sparse-initializer",
        _ => location.ToString(),
    };

    private static ParameterGroup[] Group(IEnumerable<WeightTensor> weights, Func<WeightTensor, string> key)
        => weights.GroupBy(key)
            .Select(g => new ParameterGroup(g.Key, g.Count(), g.Sum(w => w.Elements), g.Sum(w => w.Bytes)))
            .OrderByDescending(g => g.Bytes).ThenBy(g => g.Key, StringComparer.Ordinal)
            .ToArray();
}
