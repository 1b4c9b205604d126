using DeepSeek.Onnx.Model;

namespace DeepSeek.Engine.Data;

/// <summary>
/// The samples of a data folder (calibration or evaluation data), loaded and checked against the model's inputs.
/// </summary>
/// <remarks>
/// <para>A folder keeps its samples in one of three layouts, chosen in this order (names starting with <c>.</c> are
/// skipped everywhere; entries are taken in ordinal order of their names, so <c>a10.npy</c> comes before <c>a2.npy</c>):</para>
/// <list type="number">
/// <item><description><see cref="DataLayout.OnnxTestData"/>, when the folder has <c>test_data_set_*</c> subfolders: one
/// sample per subfolder, holding <c>input_K.pb</c> files (serialized <c>TensorProto</c>s) and, optionally,
/// <c>output_K.pb</c> reference outputs. An input tensor goes to the model input its name gives when it has a name, else
/// to input K of the model's input order.</description></item>
/// <item><description><see cref="DataLayout.NumPyFiles"/>, when the folder has <c>.npy</c> files (models with one input
/// only): one sample per file, with the input's shape. A file whose rank is the input's and whose first dimension is
/// larger than the input's fixed first dimension 1 is a batch, split into that many samples, each with first
/// dimension 1 (<see cref="DataSample.Source"/> <c>name.npy[i]</c>). Subfolders are then ignored.</description></item>
/// <item><description><see cref="DataLayout.NumPyFolders"/>, when the folder has other subfolders: one sample per
/// subfolder, holding <c>&lt;input name&gt;.npy</c> for every model input and no other <c>.npy</c> file. Batch files are
/// not split in this layout.</description></item>
/// </list>
/// <para>A tensor matches an input when it has the input's element type and rank, and every fixed dimension of the input;
/// symbolic and unknown dimensions take any size. A float64 tensor for a float input is converted to float32; any other
/// element type that differs from the input's is refused.</para>
/// <para><c>labels.npy</c> beside the samples (in the folder itself, in every layout) is never a sample: it holds one int64
/// or int32 label per sample, in the samples' order, with shape <c>[N]</c> or <c>[N,1]</c>.</para>
/// <para>The folder is untrusted input: every problem is a <see cref="DeepSeek.Onnx.Diagnostics.DeepSeekException"/>
/// (DSB0050-DSB0056; DSB0007 when the system refuses a read), and the samples, files and bytes read are capped by
/// <see cref="DataSetLoadOptions"/>.</para>
/// </remarks>
public sealed class DataSet
{
    /// <summary>The labels file's name.</summary>
    public const string LabelsFileName = "labels.npy";

    /// <summary>The name prefix of the ONNX test-data layout's sample folders.</summary>
    public const string TestDataSetPrefix = "test_data_set_";

    internal DataSet(string folder, DataLayout layout, IReadOnlyList<DataSample> samples, bool hasLabels)
    {
        Folder = folder;
        Layout = layout;
        Samples = samples;
        HasLabels = hasLabels;
    }

    /// <summary>The folder, as the caller named it.</summary>
    public string Folder { get; }

    /// <summary>How the folder keeps its samples.</summary>
    public DataLayout Layout { get; }

    /// <summary>The samples, in order.</summary>
    public IReadOnlyList<DataSample> Samples { get; }

    /// <summary>Whether the folder has <c>labels.npy</c>, so that every sample has a <see cref="DataSample.Label"/>.</summary>
    public bool HasLabels { get; }

    /// <summary>
    /// Loads the samples of <paramref name="folder"/> for <paramref name="model"/>'s inputs; reference outputs are checked
    /// against its outputs unless <see cref="DataSetLoadOptions.ModelOutputs"/> says otherwise.
    /// </summary>
    /// <exception cref="DeepSeek.Onnx.Diagnostics.DeepSeekException">DSB0050-DSB0056, DSB0007.</exception>
    public static DataSet Load(string folder, OnnxModel model, DataSetLoadOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        options ??= DataSetLoadOptions.Default;
        if (options.ModelOutputs is null)
        {
            options = options with { ModelOutputs = model.Graph.Outputs };
        }

        return Load(folder, model.Graph.Inputs, options);
    }

    /// <summary>
    /// Loads the samples of <paramref name="folder"/> for a model whose inputs are <paramref name="modelInputs"/>
    /// (<c>OnnxModel.Graph.Inputs</c>: the inputs a caller feeds, without initializers).
    /// </summary>
    /// <exception cref="DeepSeek.Onnx.Diagnostics.DeepSeekException">DSB0050-DSB0056, DSB0007.</exception>
    public static DataSet Load(string folder, IReadOnlyList<ValueInfo> modelInputs, DataSetLoadOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(folder);
        ArgumentNullException.ThrowIfNull(modelInputs);
        return new DataFolderLoader(folder, modelInputs, options ?? DataSetLoadOptions.Default).Load();
    }
}
