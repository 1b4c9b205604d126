using TorchSharp;
using DeepSeek.Torch.Distributed;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace DeepSeek.Torch.Optim;

/// <summary>
/// The 3.x optimizer: AdamW (Adam with decoupled weight decay, as <c>torch.optim.AdamW</c>), plus optional top-k gradient
/// sparsification with error feedback (<c>sparseGrad</c>) and gradient averaging across a
/// <see cref="DeepSeekDistributed"/> scope (<c>commBackend</c>). A TorchSharp optimizer: <c>zero_grad()</c>,
/// <c>step()</c>, parameter groups (<see cref="ParamGroup"/>, each with its own learning rate, betas, weight decay and
/// epsilon), the schedulers of <c>torch.optim.lr_scheduler</c> (which set each group's learning rate, read at every step),
/// <c>state_dict()</c>/<c>load_state_dict()</c> and <c>save_state_dict(path)</c>/<c>load_state_dict(path)</c>.
/// </summary>
/// <remarks>
/// With <c>sparseGrad</c>, each step adds the gradient to the residual left by earlier steps, keeps the
/// <see cref="GradientDensity"/> share of its entries largest in magnitude as the gradient to apply (and to communicate),
/// and keeps the rest as the new residual, so nothing is lost, only delayed. <see cref="CompressionRatio"/> reports the
/// dense size over the sent size of the last step. A checkpoint holds each group's options and each parameter's step
/// count, moments and residual, so training continued from it is the training that was saved.
/// </remarks>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Naming", "CA1708:Identifiers should differ by more than case", Justification = "step()/zero_grad() are torch.optim's names; Step()/ZeroGrad() stay as the 3.0 names, obsolete (DSM0011)")]
public sealed class DeepSeekOptimizer : OptimizerHelper, optim.IBetas
{
    private readonly Dictionary<IntPtr, string> names = [];
    private bool disposed;

    /// <summary>Creates the optimizer.</summary>
    /// <param name="parameters">The parameters to train (for example <c>model.parameters()</c>).</param>
    /// <param name="lr">Learning rate.</param>
    /// <param name="beta1">First-moment decay.</param>
    /// <param name="beta2">Second-moment decay.</param>
    /// <param name="weightDecay">Decoupled weight decay (AdamW).</param>
    /// <param name="sparseGrad">Top-k gradient sparsification with error feedback.</param>
    /// <param name="commBackend">null for local training; <c>gloo</c> or <c>nccl</c> to average gradients in the enclosing
    /// <see cref="DeepSeekDistributed"/> scope, which must then exist when <see cref="step"/> runs.</param>
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
        : this(NamedGroup(namedParameters, out var names), lr, beta1, beta2, weightDecay, sparseGrad, commBackend, eps, gradientDensity, names)
    {
    }

    /// <summary>
    /// Creates the optimizer over parameter groups; what a group leaves unset (null) it takes from the arguments here, as in
    /// <c>torch.optim</c>.
    /// </summary>
    /// <param name="groups">The groups, for example <c>[new(encoder.parameters(), lr: 1e-4), new(head.parameters())]</c>.</param>
    /// <param name="lr">Default learning rate.</param>
    /// <param name="beta1">Default first-moment decay.</param>
    /// <param name="beta2">Default second-moment decay.</param>
    /// <param name="weightDecay">Default decoupled weight decay (AdamW).</param>
    /// <param name="sparseGrad">Top-k gradient sparsification with error feedback (every group).</param>
    /// <param name="commBackend">null, <c>gloo</c> or <c>nccl</c>, as in the other constructors.</param>
    /// <param name="eps">Default epsilon.</param>
    /// <param name="gradientDensity">With <paramref name="sparseGrad"/>: the share of gradient entries sent per step.</param>
    public DeepSeekOptimizer(
        IEnumerable<ParamGroup> groups,
        double lr = 1e-3,
        double beta1 = 0.9,
        double beta2 = 0.999,
        double weightDecay = 0.01,
        bool sparseGrad = false,
        string? commBackend = null,
        double eps = 1e-8,
        double gradientDensity = 0.01)
        : this(groups, lr, beta1, beta2, weightDecay, sparseGrad, commBackend, eps, gradientDensity, names: null)
    {
    }

    private DeepSeekOptimizer(
        IEnumerable<ParamGroup> groups,
        double lr,
        double beta1,
        double beta2,
        double weightDecay,
        bool sparseGrad,
        string? commBackend,
        double eps,
        double gradientDensity,
        Dictionary<IntPtr, string>? names)
    {
        ArgumentNullException.ThrowIfNull(groups);
        Check(lr >= 0, nameof(lr), "the learning rate is not negative");
        Check(beta1 is >= 0 and < 1, nameof(beta1), "0 ≤ beta1 < 1");
        Check(beta2 is >= 0 and < 1, nameof(beta2), "0 ≤ beta2 < 1");
        Check(weightDecay >= 0, nameof(weightDecay), "weight decay is not negative");
        Check(eps >= 0, nameof(eps), "epsilon is not negative");
        Check(gradientDensity is > 0 and <= 1, nameof(gradientDensity), "0 < gradientDensity ≤ 1");
        if (commBackend is not null && commBackend is not ("gloo" or "nccl"))
        {
            throw new ArgumentException($"unknown communication backend '{commBackend}': use null, \"gloo\" or \"nccl\"", nameof(commBackend));
        }

        if (names is not null)
        {
            this.names = names;
        }

        _defaults = new Options { LearningRate = lr, InitialLearningRate = lr, Beta1 = beta1, Beta2 = beta2, WeightDecay = weightDecay, Eps = eps };
        _parameter_groups = [];
        SparseGrad = sparseGrad;
        CommBackend = commBackend;
        GradientDensity = gradientDensity;
        foreach (var group in groups)
        {
            add_param_group(group);
        }
    }

    /// <summary>
    /// The learning rate: get, the first group's; set, every group's (a scheduler from <c>torch.optim.lr_scheduler</c> sets
    /// each group's itself). Each step reads each group's rate.
    /// </summary>
    public double LearningRate
    {
        get => _parameter_groups.Count > 0 ? _parameter_groups[0].LearningRate : Defaults.LearningRate!.Value;
        set
        {
            foreach (var group in _parameter_groups)
            {
                group.LearningRate = value;
            }
        }
    }

    /// <summary>Default first-moment decay (a group may set its own).</summary>
    public double Beta1 => Defaults.Beta1!.Value;

    /// <summary>Default second-moment decay (a group may set its own).</summary>
    public double Beta2 => Defaults.Beta2!.Value;

    /// <summary>The default betas (<c>torch.optim.IBetas</c>); setting them sets the defaults and every group's.</summary>
    public (double, double) Betas
    {
        get => (Beta1, Beta2);
        set
        {
            Check(value.Item1 is >= 0 and < 1 && value.Item2 is >= 0 and < 1, nameof(value), "0 ≤ beta < 1");
            foreach (var options in _parameter_groups.Select(g => (Options)g.Options).Prepend(Defaults))
            {
                (options.Beta1, options.Beta2) = value;
            }
        }
    }

    /// <summary>Default decoupled weight decay (a group may set its own).</summary>
    public double WeightDecay => Defaults.WeightDecay!.Value;

    /// <summary>Default epsilon, added to the denominator (a group may set its own).</summary>
    public double Epsilon => Defaults.Eps!.Value;

    /// <summary>True when gradients are sparsified (top-k with error feedback).</summary>
    public bool SparseGrad { get; }

    /// <summary>With <see cref="SparseGrad"/>, the share of entries sent per step.</summary>
    public double GradientDensity { get; }

    /// <summary>null, <c>gloo</c> or <c>nccl</c>.</summary>
    public string? CommBackend { get; }

    /// <summary>Steps taken (skipped steps not counted): the most updates any parameter has had, so a loaded checkpoint's too.</summary>
    public long StepCount => States.Select(s => s.StepCount).DefaultIfEmpty(0).Max();

    /// <summary>What a step does when a gradient or a weight is NaN or infinite: throw DSB0073 (the default) or skip.</summary>
    public NonFinitePolicy NonFinite { get; set; } = NonFinitePolicy.Throw;

    /// <summary>Steps skipped under <see cref="NonFinitePolicy.SkipStep"/> because a gradient or a weight was not finite.</summary>
    public long SkippedSteps { get; private set; }

    /// <summary>Dense gradient entries over the entries applied (and sent) in the last step: 1 without sparsification.</summary>
    public double CompressionRatio { get; private set; } = 1;

    /// <summary>The parameters this optimizer updates, every group's.</summary>
    public IEnumerable<Parameter> Parameters => parameters();

    private Options Defaults => (Options)_defaults;

    /// <summary>
    /// Applies one AdamW update to every group from the parameters' gradients (parameters without a gradient are skipped),
    /// with each group's current learning rate; returns the loss of <paramref name="closure"/> when one is given.
    /// </summary>
    /// <exception cref="InvalidOperationException">A <c>commBackend</c> is set and no <see cref="DeepSeekDistributed"/> scope is active.</exception>
    /// <exception cref="NonFiniteValueException">A gradient or a weight is not finite and <see cref="NonFinite"/> is <see cref="NonFinitePolicy.Throw"/>.</exception>
    public override Tensor? step(Func<Tensor>? closure = null) => Update(closure, checkGradients: true);

    /// <summary>The 3.0 name of <see cref="step"/>.</summary>
    [Obsolete("Step() is the 3.0 name: call step(), as on every torch.optim optimizer", DiagnosticId = Legacy.MigrationIds.OptimizerAliases, UrlFormat = Legacy.MigrationIds.UrlFormat)]
    public void Step() => step();

    /// <summary>The 3.0 name of <see cref="zero_grad"/>.</summary>
    [Obsolete("ZeroGrad() is the 3.0 name: call zero_grad(), as on every torch.optim optimizer", DiagnosticId = Legacy.MigrationIds.OptimizerAliases, UrlFormat = Legacy.MigrationIds.UrlFormat)]
    public void ZeroGrad() => zero_grad();

    /// <summary>Clears the gradients of every group's parameters.</summary>
    public override void zero_grad()
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        base.zero_grad();
    }

    /// <summary>Steps once every <paramref name="steps"/> micro-batches, with their gradients averaged.</summary>
    public GradientAccumulation GradientAccumulation(int steps) => new(this, steps);

    /// <summary>
    /// Adds a group; what it leaves unset it takes from the optimizer's defaults. Parameters that do not require a gradient
    /// are left out, as the constructors do.
    /// </summary>
    public override void add_param_group(TorchSharp.Modules.ParamGroup param_group)
    {
        ArgumentNullException.ThrowIfNull(param_group);
        ObjectDisposedException.ThrowIf(disposed, this);
        var defaults = Defaults;
        if (param_group.Options is not Options options)
        {
            options = new Options();
            if (param_group.Options is { } given)
            {
                options.LearningRate = given.LearningRate;
            }

            param_group.Options = options;
        }

        options.LearningRate ??= defaults.LearningRate;
        options.Beta1 ??= defaults.Beta1;
        options.Beta2 ??= defaults.Beta2;
        options.WeightDecay ??= defaults.WeightDecay;
        options.Eps ??= defaults.Eps;
        Check(options.LearningRate >= 0, nameof(param_group), "the learning rate is not negative");
        Check(options.Beta1 is >= 0 and < 1 && options.Beta2 is >= 0 and < 1, nameof(param_group), "0 ≤ beta < 1");
        Check(options.WeightDecay >= 0 && options.Eps >= 0, nameof(param_group), "weight decay and epsilon are not negative");
        options.InitialLearningRate = options.LearningRate!.Value;

        var trained = (param_group.Parameters ?? Enumerable.Empty<Parameter>()).Where(p => p.requires_grad).ToList();
        param_group.Parameters = trained;
        foreach (var parameter in trained)
        {
            if (_state.ContainsKey(parameter.Handle))
            {
                throw new ArgumentException("a parameter is in more than one group", nameof(param_group));
            }

            var name = names.TryGetValue(parameter.Handle, out var known) ? known : $"parameter {_state.Count}";
            var state = new State(parameter, name);
            state.Initialize(options);
            _state[parameter.Handle] = state;
        }

        _parameter_groups.Add(param_group);
    }

    /// <summary>
    /// One update; <paramref name="checkGradients"/> false when the caller has just checked the gradients itself (float16
    /// <see cref="Mixed.Amp"/>, which skips such steps), so only the weights are checked here.
    /// </summary>
    internal Tensor? Update(Func<Tensor>? closure, bool checkGradients)
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        var distributed = DeepSeekDistributed.Current;
        if (CommBackend is not null && distributed is null)
        {
            throw new InvalidOperationException($"commBackend \"{CommBackend}\" averages gradients across a DeepSeekDistributed scope, and none is active — wrap the training loop in 'using var dist = new DeepSeekDistributed(\"{CommBackend}\");' or pass commBackend: null");
        }

        Tensor? loss = null;
        if (closure is not null)
        {
            using var _ = enable_grad();
            loss = closure();
        }

        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var stepping = _parameter_groups
            .Select(g => (Options: (Options)g.Options, States: g.Parameters.Select(p => (State)_state[p.Handle]).Where(s => s.Parameter.grad is not null).ToList()))
            .ToList();
        if (FirstNonFinite(stepping.SelectMany(g => g.States), StepCount + 1, checkGradients) is { } problem)
        {
            if (NonFinite == NonFinitePolicy.Throw)
            {
                throw problem;
            }

            SkippedSteps++;
            zero_grad();
            return loss;
        }

        long dense = 0, sent = 0;
        foreach (var (options, states) in stepping)
        {
            // Each group's options as they are now (a scheduler may have changed the learning rate since the last step).
            // Every Scalar is held in a variable until the step ends: a temporary one (an implicit conversion from double) can
            // be finalized while libtorch still reads it, and the step then multiplies by freed memory (issue 11).
            var lr = options.LearningRate!.Value;
            var (b1, b2) = (options.Beta1!.Value, options.Beta2!.Value);
            using var decay = (1 - (lr * options.WeightDecay!.Value)).ToScalar();
            using var beta1 = b1.ToScalar();
            using var oneMinusBeta1 = (1 - b1).ToScalar();
            using var beta2 = b2.ToScalar();
            using var oneMinusBeta2 = (1 - b2).ToScalar();
            using var epsilon = options.Eps!.Value.ToScalar();
            foreach (var state in states)
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

                state.StepCount++;
                using var secondCorrection = (1 - Math.Pow(b2, state.StepCount)).ToScalar();
                using var stepSize = (-lr / (1 - Math.Pow(b1, state.StepCount))).ToScalar();
                parameter.mul_(decay);
                state.ExpAvg.mul_(beta1).add_(g, alpha: oneMinusBeta1);
                state.ExpAvgSq.mul_(beta2).addcmul_(g, g, value: oneMinusBeta2);
                var denominator = state.ExpAvgSq.div(secondCorrection).sqrt_().add_(epsilon, HeldScalars.One);
                parameter.addcdiv_(state.ExpAvg, denominator, value: stepSize);
            }
        }

        CompressionRatio = sent == 0 ? 1 : (double)dense / sent;
        return loss;
    }

    /// <summary>Frees the optimizer's state tensors.</summary>
    protected override void Dispose(bool disposing)
    {
        if (disposing && !disposed)
        {
            disposed = true;
            foreach (var state in States)
            {
                state.Dispose();
            }
        }

        base.Dispose(disposing);
    }

    private IEnumerable<State> States
    {
        get
        {
            foreach (var entry in _state)
            {
                yield return (State)entry.Item2;
            }
        }
    }

    /// <summary>
    /// The first gradient or weight that holds a NaN or an infinity, as the exception to throw; null when all are finite.
    /// One reduction per tensor and one synchronization for the whole step; the offender is located only on failure.
    /// </summary>
    private static NonFiniteValueException? FirstNonFinite(IEnumerable<State> stepping, long step, bool checkGradients)
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

    private static ParamGroup[] NamedGroup(IEnumerable<(string name, Parameter parameter)> namedParameters, out Dictionary<IntPtr, string> names)
    {
        ArgumentNullException.ThrowIfNull(namedParameters);
        var all = namedParameters.ToList();
        names = [];
        foreach (var (name, parameter) in all)
        {
            names.TryAdd(parameter.Handle, name);
        }

        return [new ParamGroup(all.Select(p => p.parameter))];
    }

    private static void Check(bool condition, string name, string rule)
    {
        if (!condition)
        {
            throw new ArgumentOutOfRangeException(name, rule);
        }
    }

    /// <summary>A group's options; null means "the optimizer's default" until the group is added.</summary>
    public sealed class Options : OptimizerOptions
    {
        /// <summary>First-moment decay.</summary>
        public double? Beta1 { get; set; }

        /// <summary>Second-moment decay.</summary>
        public double? Beta2 { get; set; }

        /// <summary>Decoupled weight decay.</summary>
        public double? WeightDecay { get; set; }

        /// <summary>Added to the denominator.</summary>
        public double? Eps { get; set; }

        /// <inheritdoc />
        public override void LoadStateDict(OptimizerOptions source)
        {
            base.LoadStateDict(source);
            var other = (Options)source;
            (Beta1, Beta2, WeightDecay, Eps) = (other.Beta1, other.Beta2, other.WeightDecay, other.Eps);
        }

        /// <inheritdoc />
        public override void LoadStateDict(BinaryReader reader)
        {
            ArgumentNullException.ThrowIfNull(reader);
            base.LoadStateDict(reader);
            (Beta1, Beta2, WeightDecay, Eps) = (reader.ReadDouble(), reader.ReadDouble(), reader.ReadDouble(), reader.ReadDouble());
        }

        /// <inheritdoc />
        public override void SaveStateDict(BinaryWriter writer)
        {
            ArgumentNullException.ThrowIfNull(writer);
            base.SaveStateDict(writer);
            writer.Write(Beta1!.Value);
            writer.Write(Beta2!.Value);
            writer.Write(WeightDecay!.Value);
            writer.Write(Eps!.Value);
        }
    }

    /// <summary>A parameter group: its parameters and the options it sets itself (the rest come from the optimizer).</summary>
    public sealed class ParamGroup : ParamGroup<Options>, optim.IBetas
    {
        /// <summary>An empty group (for <c>add_param_group</c> after setting its members).</summary>
        public ParamGroup()
        {
        }

        /// <summary>A group of <paramref name="parameters"/>; null options take the optimizer's defaults.</summary>
        /// <param name="parameters">The group's parameters.</param>
        /// <param name="lr">Learning rate.</param>
        /// <param name="beta1">First-moment decay.</param>
        /// <param name="beta2">Second-moment decay.</param>
        /// <param name="weightDecay">Decoupled weight decay.</param>
        /// <param name="eps">Added to the denominator.</param>
        public ParamGroup(IEnumerable<Parameter> parameters, double? lr = null, double? beta1 = null, double? beta2 = null, double? weightDecay = null, double? eps = null)
            : base(parameters, new Options { LearningRate = lr, Beta1 = beta1, Beta2 = beta2, WeightDecay = weightDecay, Eps = eps })
        {
        }

        /// <summary>The group's betas.</summary>
        public (double, double) Betas
        {
            get => (Options.Beta1!.Value, Options.Beta2!.Value);
            set => (Options.Beta1, Options.Beta2) = value;
        }
    }

    /// <summary>One parameter's state: its step count, both moments and (with sparseGrad) the residual of error feedback.</summary>
    public sealed class State : OptimizerState, IDisposable
    {
        internal State(Parameter parameter, string name)
            : base(parameter)
        {
            Name = name;
            ExpAvg = zeros_like(parameter).DetachFromDisposeScope();
            ExpAvgSq = zeros_like(parameter).DetachFromDisposeScope();
        }

        /// <summary>The parameter's name (DSB0073 reports it).</summary>
        public string Name { get; }

        /// <summary>Updates applied to this parameter (its bias correction).</summary>
        public long StepCount { get; internal set; }

        /// <summary>First moment.</summary>
        public Tensor ExpAvg { get; private set; }

        /// <summary>Second moment.</summary>
        public Tensor ExpAvgSq { get; private set; }

        /// <summary>With sparseGrad: the gradient not yet applied; null before the first sparse step.</summary>
        public Tensor? Residual { get; private set; }

        internal Parameter Parameter => _parameter;

        /// <summary>Top-k of gradient + residual; the rest becomes the residual.</summary>
        internal Tensor Sparsify(Tensor gradient, double density)
        {
            var accumulated = Residual is null ? gradient.clone() : gradient.add(Residual, HeldScalars.One);
            var flat = accumulated.flatten();
            var k = (int)Math.Max(1, Math.Ceiling(density * flat.numel()));
            var (_, indices) = flat.abs().topk(k);
            var sparse = zeros_like(flat).index_copy_(0, indices, flat.index_select(0, indices)).reshape(gradient.shape);
            Residual?.Dispose();
            Residual = (accumulated - sparse).DetachFromDisposeScope();
            return sparse;
        }

        /// <inheritdoc />
        public override void Initialize(OptimizerOptions options)
        {
            StepCount = 0;
            using var _ = no_grad();
            ExpAvg.zero_();
            ExpAvgSq.zero_();
            Residual?.Dispose();
            Residual = null;
        }

        /// <inheritdoc />
        public override void SaveStateDict(BinaryWriter writer)
        {
            ArgumentNullException.ThrowIfNull(writer);
            writer.Write(StepCount);
            ExpAvg.Save(writer);
            ExpAvgSq.Save(writer);
            SaveConditionalStateTensor(writer, Residual);
        }

        /// <inheritdoc />
        public override void LoadStateDict(BinaryReader reader)
        {
            ArgumentNullException.ThrowIfNull(reader);
            StepCount = reader.ReadInt64();
            ExpAvg.Load(reader);
            ExpAvgSq.Load(reader);
            var residual = Residual;
            LoadConditionalStateTensor(reader, ref residual!, _parameter.device);
            Residual = residual?.DetachFromDisposeScope();
        }

        /// <inheritdoc />
        public override void LoadStateDict(OptimizerState source)
        {
            var other = (State)source;
            using var _ = no_grad();
            StepCount = other.StepCount;
            ExpAvg.copy_(other.ExpAvg);
            ExpAvgSq.copy_(other.ExpAvgSq);
            Residual?.Dispose();
            Residual = other.Residual?.to(_parameter.device, copy: true).DetachFromDisposeScope();
        }

        /// <inheritdoc />
        public override bool ApproximatelyEquals(OptimizerState other) =>
            other is State state && StepCount == state.StepCount && ExpAvg.allclose(state.ExpAvg) && ExpAvgSq.allclose(state.ExpAvgSq)
            && (Residual is null ? state.Residual is null : state.Residual is not null && Residual.allclose(state.Residual));

        /// <inheritdoc />
        public override void to(Device device)
        {
            ExpAvg = ExpAvg.to(device, disposeAfter: true).DetachFromDisposeScope();
            ExpAvgSq = ExpAvgSq.to(device, disposeAfter: true).DetachFromDisposeScope();
            Residual = Residual?.to(device, disposeAfter: true).DetachFromDisposeScope();
        }

        /// <summary>Frees the state's tensors.</summary>
        public void Dispose()
        {
            ExpAvg.Dispose();
            ExpAvgSq.Dispose();
            Residual?.Dispose();
        }
    }
}
