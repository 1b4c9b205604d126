using DeepSeek.Analyzers.Shared;
using Microsoft.CodeAnalysis;

namespace DeepSeek.Migration.Analyzers;

/// <summary>Every DSM rule: id, title, message, severity, category and its entry in docs/diagnostics.md.</summary>
internal static class Descriptors
{
    public const string Category = "DeepSeek.Migration";

    public static readonly DiagnosticDescriptor Int8Quantizer = Rule(
        "DSM0001", "1.x quantization API", "'{0}' is the 1.x quantization API: use DynamicQuantizer (per-channel, 4 or 8 bits)", DiagnosticSeverity.Warning);

    public static readonly DiagnosticDescriptor QuantizerBits = Rule(
        "DSM0002", "DynamicQuantizer quantizes to 4 or 8 bits", "DynamicQuantizer does not quantize to {0} bits: use 4 or 8", DiagnosticSeverity.Error);

    public static readonly DiagnosticDescriptor AdamLoop = Rule(
        "DSM0003", "2.x training loop on torch.optim.Adam", "'{0}' trains '{1}', which DeepSeek prunes or quantizes here: use DeepSeekOptimizer (AdamW semantics, sparse gradients, distributed averaging)", DiagnosticSeverity.Warning);

    public static readonly DiagnosticDescriptor CommBackendScope = Rule(
        "DSM0004", "commBackend outside a DeepSeekDistributed scope", "DeepSeekOptimizer with commBackend \"{0}\" averages gradients in a DeepSeekDistributed scope, and none encloses it: its first step() throws", DiagnosticSeverity.Warning);

    public static readonly DiagnosticDescriptor NcclProfile = Rule(
        "DSM0005", "nccl needs a cuda hardware profile", "The nccl backend needs CUDA devices, but the hardware profile is '{0}': use \"gloo\", or a cuda profile", DiagnosticSeverity.Warning);

    public static readonly DiagnosticDescriptor PerTensor = Rule(
        "DSM0006", "Per-tensor weight quantization", "Per-tensor scales cost accuracy on conv weights; per-channel is the migration's default", DiagnosticSeverity.Info);

    public static readonly DiagnosticDescriptor Launcher = Rule(
        "DSM0007", "2.x distributed launcher", "'{0}' is the 2.x distributed launcher: wrap the training loop in 'using var dist = new DeepSeekDistributed(backend);'", DiagnosticSeverity.Warning);

    public static readonly DiagnosticDescriptor ChannelPruner = Rule(
        "DSM0008", "1.x channel pruning API", "'{0}' is the 1.x pruning API: use StructuredPruner (L1 or L2)", DiagnosticSeverity.Warning);

    public static readonly DiagnosticDescriptor DistillationLoss = Rule(
        "DSM0009", "1.x distillation interface", "'{0}' is the 1.x distillation interface: use Distiller(teacher, student, temperature, alpha)", DiagnosticSeverity.Warning);

    public static readonly DiagnosticDescriptor Trainer = Rule(
        "DSM0010", "2.x training loop type", "'{0}' is the 2.x training loop: write the loop with DeepSeekOptimizer", DiagnosticSeverity.Warning);

    public static readonly DiagnosticDescriptor OptimizerAliases = Rule(
        "DSM0011", "3.0 DeepSeekOptimizer method names", "'{0}' is the 3.0 name: call '{1}()', as on every torch.optim optimizer", DiagnosticSeverity.Warning);

    private static DiagnosticDescriptor Rule(string id, string title, string message, DiagnosticSeverity severity) =>
        DiagnosticRules.Create(id, title, message, Category, severity);
}
