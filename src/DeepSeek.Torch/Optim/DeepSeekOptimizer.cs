using TorchSharp;
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
        : this(Unnamed(parameters), lr, beta1, beta2, weightDecay, sparseGrad, commBackend, eps, gradientDensity)
    {
    }

    /// <summary>Creates the optimizer over named parameters (<c>model.named_parameters()</c>), whose names DSB0073 reports.</summary>
    /// <param name="namedParameters">The parameters to train, with their names.</param>
    /// <param name="lr">Learning rate.</param>
    /// <param name="beta1">First-moment decay.</param>
    /// <param name="beta2">Second-moment decay.</param>
    /// <param name="weightDecay">Decoupled weight decay (AdamW).</param>
    /// <param name="sparseGrad">Top-k gradient sparsification with error feedback.</param>
    /// <param name="commBackend">null, <c>gloo</c> or <c>nccl</c>, as in the other constructor.</param>
    /// <param name="eps">Added to the denominator.</param>
    /// <param name="gradientDensity">With <paramref name="sparseGrad"/>: the share of gradient entries sent per step.</param>
    public DeepSeekOptimizer(
        IEnumerable<(string name, Parameter parameter)> namedParameters,
        double lr = 1e-3,
        double beta1 = 0.9,
        double beta2 = 0.999,
        double weightDecay = 0.01,
        bool sparseGrad = false,
        string? commBackend = null,
        double eps = 1e-8,
        double gradientDensity = 0.01)
    {
        ArgumentNullException.ThrowIfNull(namedParameters);
        Check(lr >= 0, nameof(lr), "the learning rate is not negative");
        Check(beta1 is >= 0 and < 1, nameof(beta1), "0 ≤ beta1 < 1");
        Check(beta2 is >= 0 and < 1, nameof(beta2), "0 ≤ beta2 < 1");
        Check(weightDecay >= 0, nameof(weightDecay), "weight decay is not negative");
        Check(gradientDensity is > 0 and <= 1, nameof(gradientDensity), "0 < gradientDensity ≤ 1");
        if (commBackend is not null && commBackend is not ("gloo" or "nccl"))
        {
            throw new ArgumentException($"unknown communication backend '{commBackend}': use null, \"gloo\" or \"nccl\"", nameof(commBackend));
        }

        states = namedParameters.Where(p => p.parameter.requires_grad).Select(p => new ParameterState(p.name, p.parameter)).ToList();
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

    /// <summary>Steps taken (skipped steps not counted).</summary>
    public long StepCount { get; private set; }

    /// <summary>What a step does when a gradient or a weight is NaN or infinite: throw DSB0073 (the default) or skip.</summary>
    public NonFinitePolicy NonFinite { get; set; } = NonFinitePolicy.Throw;

    /// <summary>Steps skipped under <see cref="NonFinitePolicy.SkipStep"/> because a gradient or a weight was not finite.</summary>
    public long SkippedSteps { get; private set; }

    /// <summary>Dense gradient entries over the entries applied (and sent) in the last step: 1 without sparsification.</summary>
    public double CompressionRatio { get; private set; } = 1;

    /// <summary>The parameters this optimizer updates.</summary>
    public IEnumerable<Parameter> Parameters => states.Select(s => s.Parameter);

    /// <summary>Applies one AdamW update from the parameters' gradients (parameters without a gradient are skipped).</summary>
    /// <exception cref="InvalidOperationException">A <c>commBackend</c> is set and no <see cref="DeepSeekDistributed"/> scope is active.</exception>
    public void Step() => Update(checkGradients: true);

    /// <summary>
    /// One update; <paramref name="checkGradients"/> false when the caller has just checked the gradients itself (float16
    /// <see cref="Mixed.Amp"/>, which skips such steps), so only the weights are checked here.
    /// </summary>
    internal void Update(bool checkGradients)
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        var distributed = DeepSeekDistributed.Current;
        if (CommBackend is not null && distributed is null)
        {
            throw new InvalidOperationException($"commBackend \"{CommBackend}\" averages gradients across a DeepSeekDistributed scope, and none is active — wrap the training loop in 'using var dist = new DeepSeekDistributed(\"{CommBackend}\");' or pass commBackend: null");
        }

        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var stepping = states.Where(s => s.Parameter.grad is not null).ToList();
        if (FirstNonFinite(stepping, StepCount + 1, checkGradients) is { } problem)
        {
            if (NonFinite == NonFinitePolicy.Throw)
            {
                throw problem;
            }

            SkippedSteps++;
            ZeroGrad();
            return;
        }

        StepCount++;
        var correction1 = 1 - Math.Pow(Beta1, StepCount);
        var correction2 = 1 - Math.Pow(Beta2, StepCount);
        long dense = 0, sent = 0;

        // Every Scalar is held in a variable until the step ends: a temporary one (an implicit conversion from double) can
        // be finalized while libtorch still reads it, and the step then multiplies by freed memory (issue 11).
        using var decay = (1 - (LearningRate * WeightDecay)).ToScalar();
        using var beta1 = Beta1.ToScalar();
        using var oneMinusBeta1 = (1 - Beta1).ToScalar();
        using var beta2 = Beta2.ToScalar();
        using var oneMinusBeta2 = (1 - Beta2).ToScalar();
        using var secondCorrection = correction2.ToScalar();
        using var epsilon = Epsilon.ToScalar();
        using var stepSize = (-LearningRate / correction1).ToScalar();
        foreach (var state in stepping)
        {
            var parameter = state.Parameter;
            var g = parameter.grad!;
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

            parameter.mul_(decay);
            state.Moment1.mul_(beta1).add_(g, alpha: oneMinusBeta1);
            state.Moment2.mul_(beta2).addcmul_(g, g, value: oneMinusBeta2);
            var denominator = state.Moment2.div(secondCorrection).sqrt_().add_(epsilon, HeldScalars.One);
            parameter.addcdiv_(state.Moment1, denominator, value: stepSize);
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

    /// <summary>
    /// The first gradient or weight that holds a NaN or an infinity, as the exception to throw; null when all are finite.
    /// One reduction per tensor and one synchronization for the whole step; the offender is located only on failure.
    /// </summary>
    private static NonFiniteValueException? FirstNonFinite(List<ParameterState> stepping, long step, bool checkGradients)
    {
        var checks = stepping.SelectMany(s => checkGradients
            ? new[] { (s, NonFiniteValueKind.Gradient, s.Parameter.grad!), (s, NonFiniteValueKind.Weight, (Tensor)s.Parameter) }
            : new[] { (s, NonFiniteValueKind.Weight, (Tensor)s.Parameter) }).ToList();
        if (NonFiniteValues.AllFinite(checks.Select(c => c.Item3)))
        {
            return null;
        }

        foreach (var (state, kind, tensor) in checks)
        {
            var count = NonFiniteValues.Count(tensor);
            if (count > 0)
            {
                return new NonFiniteValueException(step, kind, state.Name, tensor.shape, count);
            }
        }

        return null;
    }

    private static IEnumerable<(string, Parameter)> Unnamed(IEnumerable<Parameter> parameters)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        return parameters.Select((p, i) => ($"parameter {i}", p));
    }

    private static void Check(bool condition, string name, string rule)
    {
        if (!condition)
        {
            throw new ArgumentOutOfRangeException(name, rule);
        }
    }

    private sealed class ParameterState(string name, Parameter parameter) : IDisposable
    {
        private Tensor? residual;

        public string Name { get; } = name;

        public Parameter Parameter { get; } = parameter;

        public Tensor Moment1 { get; } = zeros_like(parameter).DetachFromDisposeScope();

        public Tensor Moment2 { get; } = zeros_like(parameter).DetachFromDisposeScope();

        /// <summary>Top-k of gradient + residual; the rest becomes the residual.</summary>
        public Tensor Sparsify(Tensor gradient, double density)
        {
            var accumulated = residual is null ? gradient.clone() : gradient.add(residual, HeldScalars.One);
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
