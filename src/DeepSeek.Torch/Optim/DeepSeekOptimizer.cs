using DeepSeek.Torch.Distributed;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace DeepSeek.Torch.Optim;

/// <summary>
/// The 3.x optimizer: AdamW (Adam with decoupled weight decay, as <c>torch.optim.AdamW</c>), plus optional top-k gradient
/// sparsification with error feedback (<c>sparseGrad</c>) and gradient averaging across a
/// <see cref="DeepSeekDistributed"/> scope (<c>commBackend</c>).
/// </summary>
/// <remarks>
/// With <c>sparseGrad</c>, each step adds the gradient to the residual left by earlier steps, keeps the
/// <see cref="GradientDensity"/> share of its entries largest in magnitude as the gradient to apply (and to communicate),
/// and keeps the rest as the new residual, so nothing is lost, only delayed. <see cref="CompressionRatio"/> reports the
/// dense size over the sent size of the last step.
/// </remarks>
public sealed class DeepSeekOptimizer : IDisposable
{
    private readonly List<ParameterState> states;
    private bool disposed;

    /// <summary>Creates the optimizer.</summary>
    /// <param name="parameters">The parameters to train (for example <c>model.parameters()</c>).</param>
    /// <param name="lr">Learning rate.</param>
    /// <param name="beta1">First-moment decay.</param>
    /// <param name="beta2">Second-moment decay.</param>
    /// <param name="weightDecay">Decoupled weight decay (AdamW).</param>
    /// <param name="sparseGrad">Top-k gradient sparsification with error feedback.</param>
    /// <param name="commBackend">null for local training; <c>gloo</c> or <c>nccl</c> to average gradients in the enclosing
    /// <see cref="DeepSeekDistributed"/> scope, which must then exist when <see cref="Step"/> runs.</param>
    /// <param name="eps">Added to the denominator.</param>
    /// <param name="gradientDensity">With <paramref name="sparseGrad"/>: the share of gradient entries sent per step (default 1%).</param>
    public DeepSeekOptimizer(
        IEnumerable<Parameter> parameters,
        double lr = 1e-3,
        double beta1 = 0.9,
        double beta2 = 0.999,
        double weightDecay = 0.01,
        bool sparseGrad = false,
        string? commBackend = null,
        double eps = 1e-8,
        double gradientDensity = 0.01)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        Check(lr >= 0, nameof(lr), "the learning rate is not negative");
        Check(beta1 is >= 0 and < 1, nameof(beta1), "0 ≤ beta1 < 1");
        Check(beta2 is >= 0 and < 1, nameof(beta2), "0 ≤ beta2 < 1");
        Check(weightDecay >= 0, nameof(weightDecay), "weight decay is not negative");
        Check(gradientDensity is > 0 and <= 1, nameof(gradientDensity), "0 < gradientDensity ≤ 1");
        if (commBackend is not null && commBackend is not ("gloo" or "nccl"))
        {
            throw new ArgumentException($"unknown communication backend '{commBackend}': use null, \"gloo\" or \"nccl\"", nameof(commBackend));
        }

        states = parameters.Where(p => p.requires_grad).Select(p => new ParameterState(p)).ToList();
        LearningRate = lr;
        Beta1 = beta1;
        Beta2 = beta2;
        WeightDecay = weightDecay;
        Epsilon = eps;
        SparseGrad = sparseGrad;
        CommBackend = commBackend;
        GradientDensity = gradientDensity;
    }

    /// <summary>The learning rate of the next step.</summary>
    public double LearningRate { get; set; }

    /// <summary>First-moment decay.</summary>
    public double Beta1 { get; }

    /// <summary>Second-moment decay.</summary>
    public double Beta2 { get; }

    /// <summary>Decoupled weight decay.</summary>
    public double WeightDecay { get; }

    /// <summary>Added to the denominator.</summary>
    public double Epsilon { get; }

    /// <summary>True when gradients are sparsified (top-k with error feedback).</summary>
    public bool SparseGrad { get; }

    /// <summary>With <see cref="SparseGrad"/>, the share of entries sent per step.</summary>
    public double GradientDensity { get; }

    /// <summary>null, <c>gloo</c> or <c>nccl</c>.</summary>
    public string? CommBackend { get; }

    /// <summary>Steps taken.</summary>
    public long StepCount { get; private set; }

    /// <summary>Dense gradient entries over the entries applied (and sent) in the last step: 1 without sparsification.</summary>
    public double CompressionRatio { get; private set; } = 1;

    /// <summary>The parameters this optimizer updates.</summary>
    public IEnumerable<Parameter> Parameters => states.Select(s => s.Parameter);

    /// <summary>Applies one AdamW update from the parameters' gradients (parameters without a gradient are skipped).</summary>
    /// <exception cref="InvalidOperationException">A <c>commBackend</c> is set and no <see cref="DeepSeekDistributed"/> scope is active.</exception>
    public void Step()
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        var distributed = DeepSeekDistributed.Current;
        if (CommBackend is not null && distributed is null)
        {
            throw new InvalidOperationException($"commBackend \"{CommBackend}\" averages gradients across a DeepSeekDistributed scope, and none is active — wrap the training loop in 'using var dist = new DeepSeekDistributed(\"{CommBackend}\");' or pass commBackend: null");
        }

        StepCount++;
        var correction1 = 1 - Math.Pow(Beta1, StepCount);
        var correction2 = 1 - Math.Pow(Beta2, StepCount);
        long dense = 0, sent = 0;
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        foreach (var state in states)
        {
            var parameter = state.Parameter;
            if (parameter.grad is not { } gradient)
            {
                continue;
            }

            var g = gradient;
            dense += g.numel();
            if (SparseGrad)
            {
                g = state.Sparsify(g, GradientDensity);
                sent += (long)Math.Max(1, Math.Ceiling(GradientDensity * g.numel()));
            }
            else
            {
                sent += g.numel();
            }

            if (CommBackend is not null)
            {
                g = g.clone();
                distributed!.AllReduceMean(g);
            }

            parameter.mul_(1 - (LearningRate * WeightDecay));
            state.Moment1.mul_(Beta1).add_(g, alpha: 1 - Beta1);
            state.Moment2.mul_(Beta2).addcmul_(g, g, value: 1 - Beta2);
            var denominator = (state.Moment2 / correction2).sqrt_().add_(Epsilon);
            parameter.addcdiv_(state.Moment1, denominator, value: -LearningRate / correction1);
        }

        CompressionRatio = sent == 0 ? 1 : (double)dense / sent;
    }

    /// <summary>Clears the parameters' gradients.</summary>
    public void ZeroGrad()
    {
        foreach (var state in states)
        {
            state.Parameter.grad?.zero_();
        }
    }

    /// <summary>Steps once every <paramref name="steps"/> micro-batches, with their gradients averaged.</summary>
    public GradientAccumulation GradientAccumulation(int steps) => new(this, steps);

    /// <summary>Frees the optimizer's state tensors.</summary>
    public void Dispose()
    {
        if (disposed)
        {
            return;
        }

        disposed = true;
        foreach (var state in states)
        {
            state.Dispose();
        }
    }

    private static void Check(bool condition, string name, string rule)
    {
        if (!condition)
        {
            throw new ArgumentOutOfRangeException(name, rule);
        }
    }

    private sealed class ParameterState(Parameter parameter) : IDisposable
    {
        private Tensor? residual;

        public Parameter Parameter { get; } = parameter;

        public Tensor Moment1 { get; } = zeros_like(parameter).DetachFromDisposeScope();

        public Tensor Moment2 { get; } = zeros_like(parameter).DetachFromDisposeScope();

        /// <summary>Top-k of gradient + residual; the rest becomes the residual.</summary>
        public Tensor Sparsify(Tensor gradient, double density)
        {
            var accumulated = residual is null ? gradient.clone() : gradient + residual;
            var flat = accumulated.flatten();
            var k = (int)Math.Max(1, Math.Ceiling(density * flat.numel()));
            var (_, indices) = flat.abs().topk(k);
            var sparse = zeros_like(flat).index_copy_(0, indices, flat.index_select(0, indices)).reshape(gradient.shape);
            residual?.Dispose();
            residual = (accumulated - sparse).DetachFromDisposeScope();
            return sparse;
        }

        public void Dispose()
        {
            Moment1.Dispose();
            Moment2.Dispose();
            residual?.Dispose();
        }
    }
}
