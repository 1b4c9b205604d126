using DeepSeek.Torch.Distillation;
using static TorchSharp.torch;

namespace DeepSeek.Torch.V1;

/// <summary>
/// The 1.x distillation interface: a loss function. A thin shim over <see cref="Distiller.Loss"/>; migrate to
/// <c>new Distiller(teacher, student, temperature, alpha)</c>, whose <c>Step</c> runs the whole training step.
/// </summary>
[Obsolete("DistillationLoss is the 1.x API: use new Distiller(teacher, student, temperature, alpha) and its Loss or Step", DiagnosticId = Legacy.MigrationIds.DistillationLoss, UrlFormat = Legacy.MigrationIds.UrlFormat)]
public static class DistillationLoss
{
    /// <summary>The distillation loss of a batch (1.x defaults: T = 4, α = 0.5).</summary>
    public static Tensor Compute(Tensor studentLogits, Tensor teacherLogits, Tensor labels, double temperature = 4.0, double alpha = 0.5)
    {
        using var identity = nn.Identity();
        return new Distiller(identity, identity, temperature, alpha).Loss(studentLogits, teacherLogits, labels);
    }
}
