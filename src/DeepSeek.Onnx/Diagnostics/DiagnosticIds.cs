namespace DeepSeek.Onnx.Diagnostics;

/// <summary>
/// Every build and engine diagnostic (<c>DSB0xxx</c>) in one place. Each has an entry in docs/diagnostics.md;
/// ids are never reused.
/// </summary>
public static class DiagnosticIds
{
    // 0001-0009: the model file itself.
    /// <summary>DSB0001: Model file not found.</summary>
    public static readonly DiagnosticDescriptor FileNotFound = new("DSB0001", "Model file not found",
        "check the path; relative paths are taken from the current directory");
    /// <summary>DSB0002: Model file is empty.</summary>
    public static readonly DiagnosticDescriptor FileEmpty = new("DSB0002", "Model file is empty",
        "the file has no bytes; export or download the model again");
    /// <summary>DSB0003: Not an ONNX model.</summary>
    public static readonly DiagnosticDescriptor NotOnnx = new("DSB0003", "Not an ONNX model",
        "pass an ONNX model (.onnx), a serialized onnx.ModelProto");
    /// <summary>DSB0004: Truncated model.</summary>
    public static readonly DiagnosticDescriptor Truncated = new("DSB0004", "Truncated model",
        "the file ends before the model does; download or export it again");
    /// <summary>DSB0005: Unsupported IR version.</summary>
    public static readonly DiagnosticDescriptor UnsupportedIrVersion = new("DSB0005", "Unsupported IR version",
        "convert the model to an IR version from 3 to 11 (for example with onnx.version_converter)");
    /// <summary>DSB0006: Model too large for one protobuf file.</summary>
    public static readonly DiagnosticDescriptor ModelTooLarge = new("DSB0006", "Model too large for one protobuf file",
        "save the weights as external data (onnx.save_model(..., save_as_external_data=True)) so the .onnx file stays under 2 GB");
    /// <summary>DSB0007: Cannot read the file.</summary>
    public static readonly DiagnosticDescriptor ReadFailed = new("DSB0007", "Cannot read the file",
        "check that the file exists and that you may read it");
    /// <summary>DSB0008: Model nesting too deep.</summary>
    public static readonly DiagnosticDescriptor NestingTooDeep = new("DSB0008", "Model nesting too deep",
        "the model nests subgraphs deeper than the reader allows; flatten control flow or check that the file is not corrupt");

    // 0010-0019: external data.
    /// <summary>DSB0010: External data outside the model's folder.</summary>
    public static readonly DiagnosticDescriptor ExternalDataOutsideModelFolder = new("DSB0010", "External data outside the model's folder",
        "external data locations must be relative paths inside the model's folder; move the data file next to the model and fix its location");
    /// <summary>DSB0011: External data file not found.</summary>
    public static readonly DiagnosticDescriptor ExternalDataMissing = new("DSB0011", "External data file not found",
        "copy the external data file next to the model, at the location the model names");
    /// <summary>DSB0012: External data range outside the file.</summary>
    public static readonly DiagnosticDescriptor ExternalDataOutOfRange = new("DSB0012", "External data range outside the file",
        "the offset and length point past the end of the data file; the data file does not belong to this model or is truncated");
    /// <summary>DSB0013: Malformed external data entry.</summary>
    public static readonly DiagnosticDescriptor ExternalDataMalformed = new("DSB0013", "Malformed external data entry",
        "an external tensor needs a 'location' and integer 'offset'/'length' values; re-export the model");

    // 0020-0029: tensors.
    /// <summary>DSB0020: Invalid tensor dimensions.</summary>
    public static readonly DiagnosticDescriptor InvalidTensorDims = new("DSB0020", "Invalid tensor dimensions",
        "dimensions must be non-negative and their product must fit in 64 bits; the model is corrupt");
    /// <summary>DSB0021: Tensor data does not match its dimensions.</summary>
    public static readonly DiagnosticDescriptor TensorDataLengthMismatch = new("DSB0021", "Tensor data does not match its dimensions",
        "the tensor holds a different amount of data than its dims declare; the model is corrupt or was written by a faulty exporter");
    /// <summary>DSB0022: Unknown tensor data type.</summary>
    public static readonly DiagnosticDescriptor UnsupportedDataType = new("DSB0022", "Unknown tensor data type",
        "the data type is undefined or newer than this tool knows; re-export with a standard ONNX data type");
    /// <summary>DSB0023: Weights hold NaN or infinity.</summary>
    public static readonly DiagnosticDescriptor NonFiniteWeights = new("DSB0023", "Weights hold NaN or infinity",
        "nothing was compressed; such weights come from a training run that diverged or a broken export: export the model again from a checkpoint whose weights are all finite");

    // 0030-0039: graph structure.
    /// <summary>DSB0030: Graph has a cycle.</summary>
    public static readonly DiagnosticDescriptor GraphCycle = new("DSB0030", "Graph has a cycle",
        "an ONNX graph must be acyclic; fix the node inputs that feed a node's output back into itself");
    /// <summary>DSB0031: Node input is never produced.</summary>
    public static readonly DiagnosticDescriptor DanglingInput = new("DSB0031", "Node input is never produced",
        "every node input must be a graph input, an initializer or another node's output; fix or remove the node");
    /// <summary>DSB0032: Value produced more than once.</summary>
    public static readonly DiagnosticDescriptor DuplicateValue = new("DSB0032", "Value produced more than once",
        "each value name may be produced once (by a graph input, an initializer or one node output); rename one of them");
    /// <summary>DSB0033: Graph output is never produced.</summary>
    public static readonly DiagnosticDescriptor GraphOutputNotProduced = new("DSB0033", "Graph output is never produced",
        "every graph output must be produced by a node, an input or an initializer");
    /// <summary>DSB0034: Missing opset import.</summary>
    public static readonly DiagnosticDescriptor MissingOpsetImport = new("DSB0034", "Missing opset import",
        "add an opset_import entry for every operator domain the graph uses");
    /// <summary>DSB0035: Model has no graph.</summary>
    public static readonly DiagnosticDescriptor MissingGraph = new("DSB0035", "Model has no graph",
        "the model declares no graph to run; re-export it");

    // 0040-0049: writing.
    /// <summary>DSB0040: Cannot write the output.</summary>
    public static readonly DiagnosticDescriptor WriteFailed = new("DSB0040", "Cannot write the output",
        "check that the output folder exists, that you may write there and that the disk has room");
    /// <summary>DSB0041: Output would overwrite the input.</summary>
    public static readonly DiagnosticDescriptor OutputIsInput = new("DSB0041", "Output would overwrite the input",
        "choose an output path other than the source model; the source model is never modified");

    // 0050-0059: data folders (calibration and evaluation samples).
    /// <summary>DSB0050: Data folder not found.</summary>
    public static readonly DiagnosticDescriptor DataFolderNotFound = new("DSB0050", "Data folder not found",
        "check the path; relative paths are taken from the current directory");
    /// <summary>DSB0051: Data folder holds no samples.</summary>
    public static readonly DiagnosticDescriptor DataFolderEmpty = new("DSB0051", "Data folder holds no samples",
        "put one sample per entry in the folder: test_data_set_* folders of input_*.pb files, .npy files (one-input models) or one subfolder per sample holding <input name>.npy");
    /// <summary>DSB0052: Malformed .npy file.</summary>
    public static readonly DiagnosticDescriptor MalformedNpy = new("DSB0052", "Malformed .npy file",
        "save the array with numpy.save, in C order and with a numeric or bool dtype");
    /// <summary>DSB0053: Sample does not match the model's inputs.</summary>
    public static readonly DiagnosticDescriptor SampleMismatch = new("DSB0053", "Sample does not match the model's inputs",
        "give every model input one tensor per sample, with the input's element type and shape; symbolic dimensions take any size");
    /// <summary>DSB0054: Labels do not match the samples.</summary>
    public static readonly DiagnosticDescriptor LabelsMismatch = new("DSB0054", "Labels do not match the samples",
        "save labels.npy as int64 or int32 of shape [N], one label per sample in the samples' order");
    /// <summary>DSB0055: Malformed tensor file.</summary>
    public static readonly DiagnosticDescriptor MalformedTensorFile = new("DSB0055", "Malformed tensor file",
        "write each input_<index>.pb and output_<index>.pb as one serialized onnx.TensorProto (onnx.numpy_helper.from_array(a, name).SerializeToString())");
    /// <summary>DSB0056: Data folder too large.</summary>
    public static readonly DiagnosticDescriptor DataFolderTooLarge = new("DSB0056", "Data folder too large",
        "use fewer or smaller samples; a few hundred representative samples are enough to calibrate and evaluate");

    /// <summary>DSB0057: Non-finite value in a data sample.</summary>
    public static readonly DiagnosticDescriptor NonFiniteInput = new("DSB0057", "Non-finite value in a data sample",
        "a sample whose input holds NaN or infinity verifies nothing; fix or remove that sample");
    /// <summary>DSB0058: The original model gives a non-finite output on a sample.</summary>
    public static readonly DiagnosticDescriptor NonFiniteOriginalOutput = new("DSB0058", "The original model gives a non-finite output on a sample",
        "the reference itself gives NaN or infinity on that sample, so nothing can be compared; check the sample (its range, its preprocessing) or the model");

    // 0060-0069: compression.
    /// <summary>DSB0060: Operator cannot be upgraded.</summary>
    public static readonly DiagnosticDescriptor OperatorNotUpgradable = new("DSB0060", "Operator cannot be upgraded",
        "re-export the model at opset 13 or later from its framework, or replace the operator with ones the upgrade knows");
    /// <summary>DSB0061: Unknown or malformed hardware profile.</summary>
    public static readonly DiagnosticDescriptor InvalidProfile = new("DSB0061", "Unknown or malformed hardware profile",
        "name a profile that 'deepseek profiles' lists, or fix the profiles file");
    /// <summary>DSB0062: No kernel for an operator on the target.</summary>
    public static readonly DiagnosticDescriptor NoKernel = new("DSB0062", "No kernel for an operator on the target",
        "choose another recipe or profile; the compressed model would fail at run time, so it was not written");
    /// <summary>DSB0063: Accuracy budget missed.</summary>
    public static readonly DiagnosticDescriptor AccuracyBudgetMissed = new("DSB0063", "Accuracy budget missed",
        "raise the budget, give calibration data closer to real inputs, or choose a gentler recipe (int8-dynamic, fp16)");
    /// <summary>DSB0064: Calibration data required.</summary>
    public static readonly DiagnosticDescriptor CalibrationRequired = new("DSB0064", "Calibration data required",
        "static INT8 needs sample inputs: pass --calibration DIR (Calibration metadata in MSBuild), or use int8-dynamic");
    /// <summary>DSB0065: Invalid option value.</summary>
    public static readonly DiagnosticDescriptor InvalidOption = new("DSB0065", "Invalid option value",
        "see 'deepseek compress --help' for the accepted values");
    /// <summary>DSB0067: Compressed model slower than the original.</summary>
    public static readonly DiagnosticDescriptor SlowerThanOriginal = new("DSB0067", "Compressed model slower than the original",
        "this machine is the target and the compressed model runs slower here; choose another recipe or profile");
    /// <summary>DSB0068: Compressed model over the profile's size budget.</summary>
    public static readonly DiagnosticDescriptor SizeBudgetExceeded = new("DSB0068", "Compressed model over the profile's size budget",
        "choose a smaller recipe (int8-dynamic, int4), prune the model, or target a profile without a size budget");
    /// <summary>DSB0069: The verification compared no output.</summary>
    public static readonly DiagnosticDescriptor NothingCompared = new("DSB0069", "The verification compared no output",
        "a model is only written once its outputs were compared with the original's; check the samples and the model's outputs");
    // 0080-0089: compression (continued; 0070-0079 are DeepSeek.Torch's).
    /// <summary>DSB0080: Compressed model not smaller than its source.</summary>
    public static readonly DiagnosticDescriptor NotSmaller = new("DSB0080", "Compressed model not smaller than its source",
        "choose a recipe that quantizes this model's operators (docs/recipes.md, operator registry), or ship it uncompressed (Quantize=\"none\")");
    /// <summary>DSB0081 (warning): The recipe quantized nothing; the original ships.</summary>
    public static readonly DiagnosticDescriptor NothingQuantized = new("DSB0081", "The recipe quantized nothing; the original model ships",
        "choose the recipe the warning names, or Quantize=\"none\" to say that the model ships as it is");
    /// <summary>DSB0082: Static INT8 no faster than dynamic INT8.</summary>
    public static readonly DiagnosticDescriptor StaticNotFaster = new("DSB0082", "Static INT8 no faster than dynamic INT8",
        "use int8-dynamic (Quantize=\"int8\" and \"auto\" choose it for models without convolutions): static INT8 costs calibration and fidelity and is only worth it where it runs faster");
    /// <summary>DSB0066: The model cannot run in ONNX Runtime.</summary>
    public static readonly DiagnosticDescriptor RuntimeFailed = new("DSB0066", "The model cannot run in ONNX Runtime",
        "check that the model and the data belong together; the message is ONNX Runtime's");

    // 0090-0099: the command line and the tool itself.
    /// <summary>DSB0090: Invalid command line.</summary>
    public static readonly DiagnosticDescriptor InvalidArguments = new("DSB0090", "Invalid command line",
        "run 'deepseek --help' for the verbs and their options");
    /// <summary>DSB0091: DeepSeek engine not found (reported by the MSBuild task).</summary>
    public static readonly DiagnosticDescriptor EngineNotFound = new("DSB0091", "DeepSeek engine not found",
        "restore the DeepSeek.Build package, or set the DeepSeekEnginePath property to DeepSeek.Cli.dll");
    /// <summary>DSB0099: Internal error.</summary>
    public static readonly DiagnosticDescriptor InternalError = new("DSB0099", "Internal error",
        "this is a bug in DeepSeek; please report it with the model that caused it");

    /// <summary>All descriptors, for documentation checks.</summary>
    public static IReadOnlyList<DiagnosticDescriptor> All { get; } =
    [
        FileNotFound, FileEmpty, NotOnnx, Truncated, UnsupportedIrVersion, ModelTooLarge, ReadFailed, NestingTooDeep,
        ExternalDataOutsideModelFolder, ExternalDataMissing, ExternalDataOutOfRange, ExternalDataMalformed,
        InvalidTensorDims, TensorDataLengthMismatch, UnsupportedDataType, NonFiniteWeights,
        GraphCycle, DanglingInput, DuplicateValue, GraphOutputNotProduced, MissingOpsetImport, MissingGraph,
        WriteFailed, OutputIsInput,
        DataFolderNotFound, DataFolderEmpty, MalformedNpy, SampleMismatch, LabelsMismatch, MalformedTensorFile, DataFolderTooLarge, NonFiniteInput, NonFiniteOriginalOutput,
        OperatorNotUpgradable, InvalidProfile, NoKernel, AccuracyBudgetMissed, CalibrationRequired, InvalidOption, RuntimeFailed, SlowerThanOriginal,
        SizeBudgetExceeded, NothingCompared,
        InvalidArguments, EngineNotFound, InternalError,
    ];
}
