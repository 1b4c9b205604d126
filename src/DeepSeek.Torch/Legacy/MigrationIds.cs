namespace DeepSeek.Torch.Legacy;

/// <summary>The ids and help link of the 1.x and 2.x APIs' <see cref="ObsoleteAttribute"/> warnings (docs/migration.md).</summary>
internal static class MigrationIds
{
    /// <summary>Help link of an obsolete API: its entry in docs/diagnostics.md.</summary>
    public const string UrlFormat = ProductLinks.DiagnosticsUrlFormat;

    /// <summary>1.x <c>Int8Quantizer</c> → <c>DynamicQuantizer</c>.</summary>
    public const string Int8Quantizer = "DSM0001";

    /// <summary>2.x <c>DistributedLauncher</c> → <c>DeepSeekDistributed</c>.</summary>
    public const string DistributedLauncher = "DSM0007";

    /// <summary>1.x <c>ChannelPruner</c> → <c>StructuredPruner</c>.</summary>
    public const string ChannelPruner = "DSM0008";

    /// <summary>1.x <c>DistillationLoss</c> → <c>Distiller</c>.</summary>
    public const string DistillationLoss = "DSM0009";

    /// <summary>2.x <c>Trainer</c> (a loop on torch.optim.Adam) → a loop on <c>DeepSeekOptimizer</c>.</summary>
    public const string Trainer = "DSM0010";
}
