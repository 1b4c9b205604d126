using TorchSharp;

namespace DeepSeek.Torch;

/// <summary>
/// Scalars that stay reachable for the life of the process, so no finalizer ever frees one while libtorch reads it (issue 11).
/// TorchSharp's overloads without an <c>alpha</c> — <c>a + b</c>, <c>add(t)</c>, <c>add_(s)</c>, <c>arange(stop)</c> — convert a
/// literal <c>1</c> (or <c>0</c>) into a temporary Scalar inside TorchSharp, where nothing keeps it alive during the native
/// call; DeepSeek.Torch calls the overloads that take the alpha (or start and step) and passes these. A c10::Scalar is
/// immutable, so one instance serves every thread.
/// </summary>
internal static class HeldScalars
{
    /// <summary>1, the alpha of a plain addition.</summary>
    public static readonly Scalar One = 1.ToScalar();

    /// <summary>0, the start of a range.</summary>
    public static readonly Scalar Zero = 0.ToScalar();
}
