namespace DeepSeek.Torch;

/// <summary>What held the NaN or infinity that <see cref="NonFiniteValueException"/> reports.</summary>
public enum NonFiniteValueKind
{
    /// <summary>A parameter's gradient (a non-finite loss shows up here: its gradients are not finite either).</summary>
    Gradient,

    /// <summary>A parameter's (or buffer's) value.</summary>
    Weight,
}

/// <summary>
/// DSB0073: training produced a NaN or an infinity (in a gradient or a weight). Thrown by
/// <see cref="Optim.DeepSeekOptimizer"/> before it would write the value into the weights (unless its
/// <see cref="Optim.DeepSeekOptimizer.NonFinite"/> policy skips such steps) and by <see cref="Mixed.Amp"/>. The message is
/// one line: <c>DSB0073: step N: the gradient of conv1.weight [8,1,3,3] holds 12 NaN/infinite values of 72 — what to do</c>.
/// </summary>
public sealed class NonFiniteValueException : Exception
{
    /// <summary>The diagnostic id.</summary>
    public const string Id = "DSB0073";

    /// <summary>Creates the exception.</summary>
    /// <param name="step">The optimizer step (1-based) that found the value.</param>
    /// <param name="kind">A gradient or a weight.</param>
    /// <param name="name">The parameter's name (<c>conv1.weight</c>, or <c>parameter 3</c> when the optimizer was given no names).</param>
    /// <param name="shape">The tensor's shape.</param>
    /// <param name="count">How many of its values are NaN or infinite.</param>
    public NonFiniteValueException(long step, NonFiniteValueKind kind, string name, long[] shape, long count)
        : base(Describe(step, kind, name, shape, count))
    {
        Step = step;
        Kind = kind;
        Name = name;
        Count = count;
        HelpLink = ProductLinks.DiagnosticHelp("DSB0073");
    }

    /// <summary>The diagnostic id, <c>DSB0073</c>.</summary>
    public string DiagnosticId { get; } = Id;

    /// <summary>The optimizer step (1-based) that found the value.</summary>
    public long Step { get; }

    /// <summary>What held the value.</summary>
    public NonFiniteValueKind Kind { get; }

    /// <summary>The parameter's name.</summary>
    public string Name { get; }

    /// <summary>How many values are NaN or infinite.</summary>
    public long Count { get; }

    private static string Describe(long step, NonFiniteValueKind kind, string name, long[] shape, long count)
    {
        var total = shape.Aggregate(1L, (a, b) => a * b);
        var what = kind == NonFiniteValueKind.Gradient ? $"the gradient of {name}" : $"the weight {name}";
        return $"{Id}: step {step}: {what} [{string.Join(',', shape)}] holds {count} NaN/infinite value{(count == 1 ? string.Empty : "s")} of {total} — "
            + "training diverged or its input is broken: lower the learning rate, check the data and the loss for NaN, or "
            + "set DeepSeekOptimizer.NonFinite = NonFinitePolicy.SkipStep to skip such steps (docs/torch.md)";
    }
}
