using System.Globalization;
using DeepSeek.Onnx.Diagnostics;
using DeepSeek.Onnx.Model;
using DeepSeek.Onnx.Protobuf;

namespace DeepSeek.Engine.Data;

/// <summary>Loads one data folder for <see cref="DataSet.Load(string, IReadOnlyList{ValueInfo}, DataSetLoadOptions?)"/>.</summary>
internal sealed class DataFolderLoader
{
    private const string NpyExtension = ".npy";

    private readonly string folder;
    private readonly IReadOnlyList<ValueInfo> inputs;
    private readonly DataSetLoadOptions options;
    private readonly Dictionary<string, ValueInfo> inputsByName = new(StringComparer.Ordinal);
    private readonly List<DataSample> samples = [];
    private int filesRead;
    private long bytesRead;

    public DataFolderLoader(string folder, IReadOnlyList<ValueInfo> inputs, DataSetLoadOptions options)
    {
        this.folder = folder;
        this.inputs = inputs;
        this.options = options;
    }

    public DataSet Load()
    {
        string fullPath;
        try
        {
            fullPath = Path.GetFullPath(folder);
        }
        catch (Exception e) when (e is ArgumentException or NotSupportedException or PathTooLongException)
        {
            throw new DeepSeekException(DiagnosticIds.DataFolderNotFound, folder, "is not a valid path");
        }

        if (File.Exists(fullPath))
        {
            throw new DeepSeekException(DiagnosticIds.DataFolderNotFound, folder, "is a file, not a folder",
                "pass the folder that holds the samples");
        }

        if (!Directory.Exists(fullPath))
        {
            throw new DeepSeekException(DiagnosticIds.DataFolderNotFound, folder, "no such folder");
        }

        CheckInputs();
        try
        {
            return LoadFolder(fullPath);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new DeepSeekException(DiagnosticIds.ReadFailed, folder, e.Message);
        }
    }

    private void CheckInputs()
    {
        if (inputs.Count == 0)
        {
            throw Mismatch(folder, "the model has no inputs to feed", "data folders are for models that take inputs");
        }

        foreach (var input in inputs)
        {
            if (input.Kind is not (ValueKind.Tensor or ValueKind.Unknown))
            {
                throw Mismatch(folder, $"model input {Names.Quote(input.Name)} is a {input.Kind.ToString().ToLowerInvariant()} value; data folders hold tensors only",
                    "calibrate or evaluate a model whose inputs are tensors");
            }

            if (input.ElementType != 0 && !TensorValue.IsSupported(input.ElementType))
            {
                throw Mismatch(folder, $"model input {Names.Quote(input.Name)} takes {input.ElementTypeName} elements, which data folders do not hold",
                    "data folders hold float, float16, double, int8-int64, uint8-uint64 and bool tensors");
            }

            inputsByName.TryAdd(input.Name, input);
        }
    }

    private DataSet LoadFolder(string fullPath)
    {
        var testSets = new List<string>();
        var npyFiles = new List<string>();
        var folders = new List<string>();
        var hasLabels = false;
        foreach (var entry in new DirectoryInfo(fullPath).EnumerateFileSystemInfos())
        {
            var name = entry.Name;
            if (name.StartsWith('.'))
            {
                continue;
            }

            if (entry is DirectoryInfo)
            {
                (name.StartsWith(DataSet.TestDataSetPrefix, StringComparison.Ordinal) ? testSets : folders).Add(name);
            }
            else if (name == DataSet.LabelsFileName)
            {
                hasLabels = true;
            }
            else if (name.EndsWith(NpyExtension, StringComparison.Ordinal))
            {
                npyFiles.Add(name);
            }
            else
            {
                continue;
            }

            if (testSets.Count + npyFiles.Count + folders.Count > options.MaxSamples)
            {
                throw TooLarge(folder, $"holds more than {options.MaxSamples} sample entries");
            }
        }

        DataLayout layout;
        if (testSets.Count > 0)
        {
            layout = DataLayout.OnnxTestData;
            foreach (var set in Sorted(testSets))
            {
                LoadTestDataSet(Path.Combine(fullPath, set), Path.Combine(folder, set), set);
            }
        }
        else if (npyFiles.Count > 0)
        {
            layout = DataLayout.NumPyFiles;
            if (inputs.Count > 1)
            {
                throw Mismatch(folder, $"holds .npy files, but the model has {inputs.Count} inputs ({InputList()})",
                    "put each sample in its own subfolder, with one <input name>.npy per model input");
            }

            foreach (var file in Sorted(npyFiles))
            {
                LoadNpySample(file);
            }
        }
        else if (folders.Count > 0)
        {
            layout = DataLayout.NumPyFolders;
            foreach (var sample in Sorted(folders))
            {
                LoadNpyFolder(Path.Combine(fullPath, sample), Path.Combine(folder, sample), sample);
            }
        }
        else
        {
            throw new DeepSeekException(DiagnosticIds.DataFolderEmpty, folder,
                "holds no samples: no test_data_set_* folders, no .npy files besides labels.npy and no sample subfolders");
        }

        if (hasLabels)
        {
            AttachLabels(Path.Combine(folder, DataSet.LabelsFileName), Path.Combine(fullPath, DataSet.LabelsFileName));
        }

        return new DataSet(folder, layout, samples.ToArray(), hasLabels);
    }

    /// <summary>The flat NumPy layout: one file, one sample (or a batch of them) for the model's only input.</summary>
    private void LoadNpySample(string file)
    {
        var input = inputs[0];
        var path = Path.Combine(folder, file);
        var value = MatchType(input, ReadNpy(path), path, "input");
        if (Fits(input.Shape, value.Shape))
        {
            AddSample(new DataSample(One(input.Name, value), null, null) { Source = file });
            return;
        }

        if (!IsBatch(input.Shape, value.Shape))
        {
            var batch = input.Shape is { Count: > 0 } shape && shape[0].Value == 1
                ? $" (or [n,{string.Join(",", shape.Skip(1))}] for a batch of n samples)"
                : "";
            throw Mismatch(path, $"holds shape {value.ShapeText} where input {Names.Quote(input.Name)} takes {input.ShapeText}{batch}");
        }

        var count = value.Shape[0];
        if (samples.Count + count > options.MaxSamples)
        {
            throw TooLarge(folder, $"holds more than {options.MaxSamples} samples ({Names.Quote(file)} alone holds {count})");
        }

        var sampleShape = value.Shape.ToArray();
        sampleShape[0] = 1;
        var length = (int)(value.Length / count);
        for (var i = 0; i < count; i++)
        {
            var slice = value.Slice(i * length, length, sampleShape);
            AddSample(new DataSample(One(input.Name, slice), null, null) { Source = $"{file}[{i}]" });
        }
    }

    /// <summary>The NumPy folder layout: one subfolder per sample, with one file per model input.</summary>
    private void LoadNpyFolder(string fullPath, string display, string name)
    {
        var files = new List<string>();
        foreach (var file in new DirectoryInfo(fullPath).EnumerateFiles())
        {
            if (!file.Name.StartsWith('.') && file.Name.EndsWith(NpyExtension, StringComparison.Ordinal))
            {
                files.Add(file.Name);
                if (files.Count > inputs.Count)
                {
                    break; // one of them names no input: reported below, in name order
                }
            }
        }

        var values = new Dictionary<string, TensorValue>(StringComparer.Ordinal);
        foreach (var file in Sorted(files))
        {
            var path = Path.Combine(display, file);
            if (!inputsByName.TryGetValue(file[..^NpyExtension.Length], out var input))
            {
                throw Mismatch(path, $"names no model input; the model's inputs are {InputList()}",
                    "name each file of a sample folder after a model input: <input name>.npy");
            }

            values[input.Name] = MatchShape(input, MatchType(input, ReadNpy(path), path, "input"), path, "input");
        }

        foreach (var input in inputs)
        {
            if (!values.ContainsKey(input.Name))
            {
                throw Mismatch(display, $"has no {Names.Quote(input.Name + NpyExtension)} for input {Names.Quote(input.Name)}");
            }
        }

        AddSample(new DataSample(values.AsReadOnly(), null, null) { Source = name });
    }

    /// <summary>The ONNX test-data layout: one folder per sample with input_K.pb and output_K.pb files.</summary>
    private void LoadTestDataSet(string fullPath, string display, string name)
    {
        var inputFiles = new List<(int Index, string File)>();
        var outputFiles = new List<(int Index, string File)>();
        foreach (var file in new DirectoryInfo(fullPath).EnumerateFiles())
        {
            if (file.Name.StartsWith('.') || !file.Name.EndsWith(".pb", StringComparison.Ordinal))
            {
                continue;
            }

            var list = file.Name.StartsWith("input_", StringComparison.Ordinal) ? inputFiles
                : file.Name.StartsWith("output_", StringComparison.Ordinal) ? outputFiles
                : null;
            if (list is null)
            {
                continue;
            }

            var prefix = list == inputFiles ? "input_" : "output_";
            var digits = file.Name.AsSpan(prefix.Length, file.Name.Length - prefix.Length - 3);
            if (!int.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out var index))
            {
                throw new DeepSeekException(DiagnosticIds.MalformedTensorFile, Path.Combine(display, file.Name),
                    $"is not named {prefix}<index>.pb", $"name the files {prefix}0.pb, {prefix}1.pb... in the order of the model's {prefix.TrimEnd('_')}s");
            }

            list.Add((index, file.Name));
            if (inputFiles.Count + outputFiles.Count > options.MaxFiles)
            {
                throw TooLarge(display, $"holds more than {options.MaxFiles} tensor files");
            }
        }

        var values = new Dictionary<string, TensorValue>(StringComparer.Ordinal);
        foreach (var (index, file) in Ordered(inputFiles))
        {
            var path = Path.Combine(display, file);
            var tensor = ReadPb(path);
            ValueInfo input;
            if (tensor.Name.Length > 0)
            {
                input = inputsByName.GetValueOrDefault(tensor.Name)
                    ?? throw Mismatch(path, $"holds tensor {Names.Quote(tensor.Name)}, which names no model input; the model's inputs are {InputList()}");
            }
            else if (index < inputs.Count)
            {
                input = inputs[index];
            }
            else
            {
                throw Mismatch(path, $"is input {index} but the model has {inputs.Count} input{(inputs.Count == 1 ? "" : "s")} ({InputList()})");
            }

            if (!values.TryAdd(input.Name, MatchShape(input, MatchType(input, tensor.Value, path, "input"), path, "input")))
            {
                throw Mismatch(path, $"gives input {Names.Quote(input.Name)} a second time");
            }
        }

        for (var i = 0; i < inputs.Count; i++)
        {
            if (!values.ContainsKey(inputs[i].Name))
            {
                throw Mismatch(display, $"has no tensor for input {Names.Quote(inputs[i].Name)} (input_{i}.pb)");
            }
        }

        Dictionary<string, TensorValue>? outputs = null;
        var modelOutputs = options.ModelOutputs;
        foreach (var (index, file) in Ordered(outputFiles))
        {
            var path = Path.Combine(display, file);
            var tensor = ReadPb(path);
            var value = tensor.Value;
            string key;
            if (modelOutputs is null)
            {
                key = tensor.Name.Length > 0 ? tensor.Name : file[..^3];
            }
            else
            {
                var output = tensor.Name.Length > 0
                    ? modelOutputs.FirstOrDefault(o => o.Name == tensor.Name)
                        ?? throw Mismatch(path, $"holds tensor {Names.Quote(tensor.Name)}, which names no model output; the model's outputs are {List(modelOutputs)}")
                    : index < modelOutputs.Count
                        ? modelOutputs[index]
                        : throw Mismatch(path, $"is output {index} but the model has {modelOutputs.Count} output{(modelOutputs.Count == 1 ? "" : "s")} ({List(modelOutputs)})");
                key = output.Name;
                value = MatchShape(output, MatchType(output, value, path, "output"), path, "output");
            }

            outputs ??= new Dictionary<string, TensorValue>(StringComparer.Ordinal);
            if (!outputs.TryAdd(key, value))
            {
                throw Mismatch(path, $"gives output {Names.Quote(key)} a second time");
            }
        }

        AddSample(new DataSample(values.AsReadOnly(), outputs?.AsReadOnly(), null) { Source = name });
    }

    private void AttachLabels(string display, string fullPath)
    {
        var labels = ReadNpy(display, fullPath);
        long[] values = (TensorProto.Types.DataType)labels.ElementType switch
        {
            TensorProto.Types.DataType.Int64 => labels.GetData<long>(),
            TensorProto.Types.DataType.Int32 => Array.ConvertAll(labels.GetData<int>(), v => (long)v),
            _ => throw new DeepSeekException(DiagnosticIds.LabelsMismatch, display, $"holds {labels.ElementTypeName} labels; labels are int64 or int32"),
        };

        if (!(labels.Shape.Count == 1 || (labels.Shape.Count == 2 && labels.Shape[1] == 1)))
        {
            throw new DeepSeekException(DiagnosticIds.LabelsMismatch, display, $"has shape {labels.ShapeText}; labels take one value per sample, shape [N] or [N,1]");
        }

        if (values.Length != samples.Count)
        {
            throw new DeepSeekException(DiagnosticIds.LabelsMismatch, display, $"holds {values.Length} labels for {samples.Count} samples");
        }

        for (var i = 0; i < values.Length; i++)
        {
            samples[i] = samples[i] with { Label = values[i] };
        }
    }

    private void AddSample(DataSample sample)
    {
        if (samples.Count >= options.MaxSamples)
        {
            throw TooLarge(folder, $"holds more than {options.MaxSamples} samples");
        }

        samples.Add(sample);
    }

    private TensorValue ReadNpy(string path) => ReadNpy(path, path);

    private TensorValue ReadNpy(string display, string fullPath)
    {
        Account(display, fullPath);
        return NpyReader.Read(display);
    }

    private TensorProtoFile ReadPb(string path)
    {
        Account(path, path);
        return TensorProtoFile.Read(path);
    }

    /// <summary>Counts a data file and its real size against the limits before it is read.</summary>
    private void Account(string display, string path)
    {
        var length = new FileInfo(path).Length;
        if (++filesRead > options.MaxFiles)
        {
            throw TooLarge(folder, $"holds more than {options.MaxFiles} data files");
        }

        bytesRead += length;
        if (bytesRead > options.MaxBytes)
        {
            throw TooLarge(folder, $"holds more than {options.MaxBytes} bytes of data (reached at {Names.Quote(Path.GetRelativePath(folder, display))})");
        }
    }

    /// <summary>Checks a tensor's element type against a model value's; a double tensor for a float value is converted.</summary>
    private static TensorValue MatchType(ValueInfo info, TensorValue value, string path, string role)
    {
        if (info.ElementType == 0 || info.ElementType == value.ElementType)
        {
            return value;
        }

        if (info.ElementType == (int)TensorProto.Types.DataType.Float && value.ElementType == (int)TensorProto.Types.DataType.Double)
        {
            return value.DoubleToFloat();
        }

        throw Mismatch(path, $"holds {value.ElementTypeName} data where {role} {Names.Quote(info.Name)} takes {info.ElementTypeName}");
    }

    private static TensorValue MatchShape(ValueInfo info, TensorValue value, string path, string role)
        => Fits(info.Shape, value.Shape)
            ? value
            : throw Mismatch(path, $"holds shape {value.ShapeText} where {role} {Names.Quote(info.Name)} takes {info.ShapeText}");

    /// <summary>Whether <paramref name="shape"/> has the declared rank and every fixed dimension (symbols take any size).</summary>
    internal static bool Fits(IReadOnlyList<Dimension>? declared, IReadOnlyList<long> shape)
    {
        if (declared is null)
        {
            return true;
        }

        if (declared.Count != shape.Count)
        {
            return false;
        }

        for (var i = 0; i < shape.Count; i++)
        {
            if (declared[i].Value is long d && d >= 0 && d != shape[i])
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Whether <paramref name="shape"/> is a batch of samples of an input whose fixed first dimension is 1.</summary>
    internal static bool IsBatch(IReadOnlyList<Dimension>? declared, IReadOnlyList<long> shape)
    {
        if (declared is null || declared.Count == 0 || declared.Count != shape.Count || declared[0].Value != 1 || shape[0] <= 1)
        {
            return false;
        }

        for (var i = 1; i < shape.Count; i++)
        {
            if (declared[i].Value is long d && d >= 0 && d != shape[i])
            {
                return false;
            }
        }

        return true;
    }

    private static System.Collections.ObjectModel.ReadOnlyDictionary<string, TensorValue> One(string name, TensorValue value)
        => new Dictionary<string, TensorValue>(StringComparer.Ordinal) { [name] = value }.AsReadOnly();

    private static List<string> Sorted(List<string> names)
    {
        names.Sort(StringComparer.Ordinal);
        return names;
    }

    private static IEnumerable<(int Index, string File)> Ordered(List<(int Index, string File)> files)
        => files.OrderBy(f => f.Index).ThenBy(f => f.File, StringComparer.Ordinal);

    private string InputList() => List(inputs);

    private static string List(IReadOnlyList<ValueInfo> values)
        => string.Join(", ", values.Take(8).Select(v => Names.Quote(v.Name))) + (values.Count > 8 ? $" and {values.Count - 8} more" : "");

    private static DeepSeekException Mismatch(string file, string problem, string? action = null)
        => new(DiagnosticIds.SampleMismatch, file, problem, action);

    private static DeepSeekException TooLarge(string file, string problem)
        => new(DiagnosticIds.DataFolderTooLarge, file, problem);
}
