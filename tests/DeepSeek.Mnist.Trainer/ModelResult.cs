using System.Globalization;

namespace DeepSeek.Mnist.Trainer;

/// <summary>What the trainer measured for one model.</summary>
internal sealed record ModelResult(Network Network, TrainingOptions Options, string Path, long Bytes, TimeSpan Time, int Correct, int OrtCorrect, int Total)
{
    public string Accuracy(int correct) => string.Create(CultureInfo.InvariantCulture, $"{100.0 * correct / Total:F2}% ({correct:N0}/{Total:N0})");
}
