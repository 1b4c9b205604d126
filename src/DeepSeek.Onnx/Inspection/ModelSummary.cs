using DeepSeek.Onnx.Model;

namespace DeepSeek.Onnx.Inspection;

/// <summary>What <c>deepseek inspect</c> reports about a model. Its JSON form is documented in docs/inspect-json.md.</summary>
public sealed record ModelSummary(
    string File,
    long IrVersion,
    string ProducerName,
    string ProducerVersion,
    string Domain,
    long ModelVersion,
    IReadOnlyList<OpsetImport> Opsets,
    IReadOnlyList<ValueInfo> Inputs,
    IReadOnlyList<ValueInfo> Outputs,
    int NodeCount,
    IReadOnlyList<OperatorCount> Operators,
    ParameterSummary Parameters);

/// <summary>How many nodes run one operator.</summary>
public sealed record OperatorCount(string Domain, string OpType, int Count)
{
    /// <summary><c>Conv</c> for the default domain, <c>com.microsoft.MatMulNBits</c> otherwise.</summary>
    public string DisplayName => Domain.Length == 0 ? OpType : $"{Domain}.{OpType}";
}

/// <summary>Parameters (weight elements) and their bytes, in total and split by element type and by where they live.</summary>
public sealed record ParameterSummary(
    long Count,
    long Bytes,
    int Tensors,
    IReadOnlyList<ParameterGroup> ByDataType,
    IReadOnlyList<ParameterGroup> ByLocation,
    IReadOnlyList<string> ExternalFiles);

/// <summary>One group of weights: a data type name (<c>float</c>) or a location (<c>initializer</c>, <c>external</c>, <c>constant-node</c>, <c>sparse-initializer</c>).</summary>
public sealed record ParameterGroup(string Key, int Tensors, long Count, long Bytes);
