namespace DeepSeek.Engine.Data;

/// <summary>One sample of a data folder: a tensor for every model input, and what the folder gives beside it.</summary>
/// <param name="Inputs">The tensor for each model input, by input name.</param>
/// <param name="ReferenceOutputs">The expected outputs by name (the ONNX test-data layout's <c>output_*.pb</c>); null when the sample has none.</param>
/// <param name="Label">The sample's label from <c>labels.npy</c>; null when the folder has no labels.</param>
public sealed record DataSample(
    IReadOnlyDictionary<string, TensorValue> Inputs,
    IReadOnlyDictionary<string, TensorValue>? ReferenceOutputs,
    long? Label)
{
    /// <summary>
    /// Where the sample comes from, relative to the data folder: <c>test_data_set_0</c>, <c>img_001.npy</c>,
    /// <c>batch.npy[3]</c> (the fourth sample of a batch file) or <c>sample_01</c> (a subfolder).
    /// </summary>
    public string Source { get; init; } = "";
}
