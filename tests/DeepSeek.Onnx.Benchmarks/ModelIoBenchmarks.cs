using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Diagnosers;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;
using DeepSeek.Onnx.IO;
using DeepSeek.Onnx.Model;
using DeepSeek.Onnx.Protobuf;
using DeepSeek.Testing;
using Google.Protobuf;

namespace DeepSeek.Onnx.Benchmarks;

/// <summary>
/// Read and write of ResNet-18 (64 MB), against two baselines measured in the same run: copying the file (the disk's
/// speed) and Google.Protobuf's plain stream parse and write (what a straightforward reader does).
/// </summary>
[Config(typeof(Config))]
[MemoryDiagnoser]
public class ModelIoBenchmarks
{
    private string directory = "";
    private string output = "";
    private OnnxModel model = null!;

    public static long ModelBytes => new FileInfo(TestAssets.ResNet18).Length;

    [GlobalSetup]
    public void Setup()
    {
        directory = Path.Combine(Path.GetTempPath(), "deepseek-bench-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(directory);
        output = Path.Combine(directory, "out.onnx");
        model = ModelReader.Read(TestAssets.ResNet18);
    }

    [GlobalCleanup]
    public void Cleanup() => Directory.Delete(directory, recursive: true);

    [Benchmark(Baseline = true, Description = "File.Copy (baseline)")]
    public void CopyFile() => File.Copy(TestAssets.ResNet18, output, overwrite: true);

    [Benchmark(Description = "Google.Protobuf stream parse + write")]
    public void PlainProtobuf()
    {
        ModelProto proto;
        using (var input = File.OpenRead(TestAssets.ResNet18))
        {
            proto = ModelProto.Parser.ParseFrom(input);
        }

        using var stream = File.Create(output);
        proto.WriteTo(stream);
    }

    [Benchmark(Description = "ModelReader.Read (validated)")]
    public OnnxModel Read() => ModelReader.Read(TestAssets.ResNet18);

    [Benchmark(Description = "ModelWriter.Write (atomic)")]
    public void Write() => ModelWriter.Write(model, output);

    [Benchmark(Description = "Read + Write")]
    public void ReadWrite() => ModelWriter.Write(ModelReader.Read(TestAssets.ResNet18), output);

    private sealed class Config : ManualConfig
    {
        public Config()
        {
            AddJob(Job.Default.WithWarmupCount(3).WithIterationCount(15));
            AddColumn(new ThroughputColumn());
            AddDiagnoser(MemoryDiagnoser.Default);
        }
    }

    /// <summary>Model megabytes (10^6 bytes) per second of mean time; for Read + Write, bytes read + written over the time of both.</summary>
    private sealed class ThroughputColumn : IColumn
    {
        public string Id => "Throughput";

        public string ColumnName => "MB/s";

        public bool AlwaysShow => true;

        public ColumnCategory Category => ColumnCategory.Custom;

        public int PriorityInCategory => 0;

        public bool IsNumeric => true;

        public UnitType UnitType => UnitType.Dimensionless;

        public string Legend => "Model size (MB) divided by the mean time: how fast the model goes through the operation";

        public string GetValue(Summary summary, BenchmarkCase benchmarkCase) => GetValue(summary, benchmarkCase, SummaryStyle.Default);

        public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style)
        {
            var report = summary[benchmarkCase];
            if (report?.ResultStatistics is not { } stats)
            {
                return "-";
            }

            var seconds = stats.Mean / 1e9;
            return (ModelBytes / 1e6 / seconds).ToString("F0", System.Globalization.CultureInfo.InvariantCulture);
        }

        public bool IsAvailable(Summary summary) => true;

        public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;
    }
}
