using TorchSharp;
using static TorchSharp.torch;

namespace DeepSeek.Torch.Optim;

/// <summary>
/// Gradient accumulation over <see cref="Steps"/> micro-batches: call <see cref="Step"/> after each micro-batch's
/// <c>backward()</c>; every <see cref="Steps"/>-th call averages the summed gradients, steps the optimizer and clears them.
/// </summary>
public sealed class GradientAccumulation
{
    private readonly DeepSeekOptimizer optimizer;
    private int pending;

    internal GradientAccumulation(DeepSeekOptimizer optimizer, int steps)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(steps, 1);
        this.optimizer = optimizer;
        Steps = steps;
    }

    /// <summary>Micro-batches per optimizer step.</summary>
    public int Steps { get; }

    /// <summary>Micro-batches accumulated since the last optimizer step.</summary>
    public int Pending => pending;

    /// <summary>Records one micro-batch; returns true when this call stepped the optimizer.</summary>
    public bool Step()
    {
        if (++pending < Steps)
        {
            return false;
        }

        if (Steps > 1)
        {
            using var _ = no_grad();
            using var steps = Steps.ToScalar(); // held: a temporary Scalar can be finalized during the call (issue 11)
            foreach (var parameter in optimizer.Parameters)
            {
                parameter.grad?.div_(steps);
            }
        }

        optimizer.step();
        optimizer.zero_grad();
        pending = 0;
        return true;
    }
}
