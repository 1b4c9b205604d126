namespace DeepSeek.Engine.Data;

/// <summary>How a data folder keeps its samples.</summary>
public enum DataLayout
{
    /// <summary>The ONNX test-data layout: one <c>test_data_set_*</c> folder per sample, holding <c>input_*.pb</c> (and <c>output_*.pb</c>) tensors.</summary>
    OnnxTestData,

    /// <summary>One <c>.npy</c> file per sample (or per batch of samples), for a model with one input.</summary>
    NumPyFiles,

    /// <summary>One subfolder per sample, holding <c>&lt;input name&gt;.npy</c> for every model input.</summary>
    NumPyFolders,
}
