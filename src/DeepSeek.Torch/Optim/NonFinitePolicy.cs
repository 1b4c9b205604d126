namespace DeepSeek.Torch.Optim;

/// <summary>What <see cref="DeepSeekOptimizer.step"/> does when a gradient or a weight holds a NaN or an infinity.</summary>
public enum NonFinitePolicy
{
    /// <summary>Throw <see cref="NonFiniteValueException"/> (DSB0073) naming the step and the parameter; nothing is updated. The default.</summary>
    Throw,

    /// <summary>Skip the step: no parameter is updated, the gradients are cleared and <see cref="DeepSeekOptimizer.SkippedSteps"/> counts it.</summary>
    SkipStep,
}
