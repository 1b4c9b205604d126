using DeepSeek.Wrappers.Analyzers;

namespace DeepSeek.Analyzers.Tests;

/// <summary>
/// DSW0003 on a transformer's wrapper as the generator writes it from a manifest of schema 2 (arctic-embed-xs exported with a
/// pooler: last_hidden_state [batch_size, sequence_length, 384], 924 [batch_size, 384]). With the exporter's symbols as
/// declared, last_hidden_state was [TensorShape(-1, -1, -1)] and a buffer of any non-zero length passed; resolved, its
/// length must be a multiple of 384. The rule itself is unchanged: it reads [TensorShape], not the symbol parameters.
/// </summary>
public sealed class ResolvedShapeRuleTests
{
    private const string Wrapper = """

        namespace App.Models
        {
            [System.CodeDom.Compiler.GeneratedCode("DeepSeek.Generators", "0.1.0")]
            public sealed partial class ArcticXsExported : System.IDisposable
            {
                public void Run([DeepSeek.Runtime.TensorShape(-1, -1)] System.ReadOnlySpan<long> inputIds, [DeepSeek.Runtime.TensorShape(-1, -1)] System.ReadOnlySpan<long> attentionMask,
                    [DeepSeek.Runtime.TensorShape(-1, -1)] System.ReadOnlySpan<long> tokenTypeIds, [DeepSeek.Runtime.TensorShape(-1, -1, 384)] System.Span<float> lastHiddenState,
                    [DeepSeek.Runtime.TensorShape(-1, 384)] System.Span<float> m924, int batchSize, int sequenceLength) { }
                public void Dispose() { }
            }
        }
        """;

    [Fact]
    public Task DSW0003_checks_a_resolved_hidden_size() => Verifier.Analyze<RunShapeAnalyzer>("""
        using System;
        using App.Models;
        class C
        {
            void M(ArcticXsExported model, long[] ids)
            {
                model.Run(ids, ids, ids, {|DSW0003:new float[1000]|}, new float[384], 1, 1);
                model.Run(ids, ids, ids, new float[384 * 5], {|DSW0003:new float[256]|}, 1, 5);
            }
        }
        """ + Wrapper);
}
