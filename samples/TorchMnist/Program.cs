using System.Globalization;
using DeepSeek.Testing;
using TorchMnist;

// Trains, prunes, quantizes and distils an MNIST CNN in .NET, then exports it for the build:
//   dotnet run -c Release --project samples/TorchMnist [-- <output folder>]
var output = args.Length > 0 ? args[0] : Path.Combine(AppContext.BaseDirectory, "export");
Console.WriteLine("step                               held-out   time    detail");
var report = MnistPipeline.Run(output, log: Console.WriteLine);
var calibration = MnistDigits.WriteDataFolder(Path.Combine(output, "calibration"), MnistDigits.Training.Take(64), cnnLayout: true);
var teacher = report.Accuracy("teacher");
var student = report.Accuracy("frozen int8 weights");
Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"student {student:P2} vs teacher {teacher:P2}: {(student - teacher) * 100:+0.00;-0.00} points, parameters {report.TeacherParameters:N0} → {report.StudentParameters:N0}"));
Console.WriteLine($"calibration digits: {calibration}");
if (report.SparseModel is not null)
{
    var sparse = report.Accuracy("1:16 sparse + distilled");
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"1:16 sparse student {sparse:P2} vs teacher {teacher:P2}: {(sparse - teacher) * 100:+0.00;-0.00} points"));

    // Size and speed of the sparse layer against its dense form, measured here (1 thread, median of interleaved rounds).
    var (timings, sparseBytes, denseBytes) = SparseLayerTiming.Run(report.Sparse!, 1, 64);
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"fc1 1:16 (DeepSeek.Runtime NmSparseMatrix) stores {sparseBytes:N0} bytes (values and row offsets) against {denseBytes:N0} dense fp32 ({(double)sparseBytes / denseBytes:P1})"));
    foreach (var t in timings)
    {
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"fc1 at batch {t.Batch}: sparse {t.SparseMicroseconds:F2} µs, dense fp32 (libtorch) {t.DenseMicroseconds:F2} µs: {t.SpeedUp:F2}x (outputs within {t.MaxAbsDifference:G2})"));
    }
}

Console.WriteLine($"""
    Declare them in an app (DeepSeek.Build compresses, verifies and ships them):
      <DeepSeekModel Include="{report.Model}" Quantize="int8-static" Calibration="{calibration}" AccuracyBudget="1%" />
      <DeepSeekModel Include="{report.SparseModel}" Quantize="int8-static" Sparsity="1:16" Calibration="{calibration}" AccuracyBudget="1%" />
    """);
