using System.Runtime.CompilerServices;
using DeepSeek.Torch.Native;

namespace DeepSeek.Torch.Tests;

internal static class OneDnnCapInitializer
{
    // Some tests run TorchSharp convolutions before any DeepSeek.Torch type loads: apply the cap first, as docs/torch.md
    // tells apps that do the same.
    [ModuleInitializer]
    internal static void Initialize() => OneDnnIsaCap.Apply();
}
