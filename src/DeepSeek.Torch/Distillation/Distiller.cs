using TorchSharp;
using DeepSeek.Torch.Optim;
using static TorchSharp.torch;

namespace DeepSeek.Torch.Distillation;

/// <summary>
/// Knowledge distillation (Hinton et al.): the student learns from the teacher's softened outputs and from the labels,
/// <c>loss = α · T² · KL(softmax(teacher/T) ‖ softmax(student/T)) + (1 − α) · CE(student, labels)</c>.
/// </summary>
public sealed class Distiller
{
    /// <summary>Distils <paramref name="teacher"/> into <paramref name="student"/>.</summary>
    /// <param name="teacher">The trained model (run in eval mode, without gradients).</param>
    /// <param name="student">The model to train; outputs logits of the teacher's shape.</param>
    /// <param name="temperature">Softening temperature T &gt; 0.</param>
    /// <param name="alpha">Weight of the distillation term, 0 ≤ α ≤ 1.</param>
    public Distiller(nn.Module<Tensor, Tensor> teacher, nn.Module<Tensor, Tensor> student, double temperature = 4.0, double alpha = 0.7)
    {
        ArgumentNullException.ThrowIfNull(teacher);
        ArgumentNullException.ThrowIfNull(student);
        if (!(temperature > 0))
        {
            throw new ArgumentOutOfRangeException(nameof(temperature), temperature, "the temperature is positive");
        }

        if (alpha is < 0 or > 1 || double.IsNaN(alpha))
        {
            throw new ArgumentOutOfRangeException(nameof(alpha), alpha, "alpha weighs the distillation term: 0 ≤ alpha ≤ 1");
        }

        Teacher = teacher;
        Student = student;
        Temperature = temperature;
        Alpha = alpha;
    }

    /// <summary>The teacher.</summary>
    public nn.Module<Tensor, Tensor> Teacher { get; }

    /// <summary>The student.</summary>
    public nn.Module<Tensor, Tensor> Student { get; }

    /// <summary>The temperature T.</summary>
    public double Temperature { get; }

    /// <summary>The weight α of the distillation term.</summary>
    public double Alpha { get; }

    /// <summary>The distillation loss of a batch (mean over it), differentiable in <paramref name="studentLogits"/>.</summary>
    public Tensor Loss(Tensor studentLogits, Tensor teacherLogits, Tensor labels)
    {
        ArgumentNullException.ThrowIfNull(studentLogits);
        ArgumentNullException.ThrowIfNull(teacherLogits);
        ArgumentNullException.ThrowIfNull(labels);
        // Scalars held until the end: a temporary one can be finalized while libtorch reads it (issue 11).
        using var temperature = Temperature.ToScalar();
        using var batch = studentLogits.shape[0].ToScalar();
        using var softWeight = (Alpha * Temperature * Temperature).ToScalar();
        using var hardWeight = (1 - Alpha).ToScalar();
        using var scope = NewDisposeScope();

        // Summed and divided by the batch size: the per-sample mean of the KL divergence (PyTorch's 'batchmean').
        var soft = nn.functional.kl_div(
            nn.functional.log_softmax(studentLogits.div(temperature), 1),
            nn.functional.log_softmax(teacherLogits.detach().div(temperature), 1),
            log_target: true,
            reduction: nn.Reduction.Sum).div(batch);
        var hard = nn.functional.cross_entropy(studentLogits, labels);
        var loss = soft.mul(softWeight).add(hard.mul(hardWeight), HeldScalars.One).MoveToOuterDisposeScope();
        GC.KeepAlive(studentLogits); // the caller's tensors stay alive until libtorch is done with them
        GC.KeepAlive(teacherLogits);
        GC.KeepAlive(labels);
        return loss;
    }

    /// <summary>One training step of the student on a batch with a TorchSharp optimizer (a <see cref="DeepSeekOptimizer"/> too); returns the loss.</summary>
    public float Step(Tensor input, Tensor labels, optim.Optimizer optimizer)
    {
        ArgumentNullException.ThrowIfNull(optimizer);
        return Step(input, labels, optimizer.zero_grad, () => optimizer.step());
    }

    private float Step(Tensor input, Tensor labels, Action zeroGrad, Action step)
    {
        using var scope = NewDisposeScope();
        Tensor teacherLogits;
        Teacher.eval();
        using (no_grad())
        {
            teacherLogits = Teacher.forward(input);
        }

        Student.train();
        zeroGrad();
        var loss = Loss(Student.forward(input), teacherLogits, labels);
        loss.backward();
        step();
        var value = loss.item<float>();
        GC.KeepAlive(input); // the caller's tensors stay alive until libtorch is done with them (issue 11)
        GC.KeepAlive(labels);
        return value;
    }
}
