using DeepSeek.Migration.Analyzers;

namespace DeepSeek.Analyzers.Tests;

public sealed class QuantizerRuleTests
{
    private const string Usings = """
        using DeepSeek.Torch.Quantization;
        using static TorchSharp.torch;

        """;

    [Fact]
    public Task DSM0002_flags_constant_bits_other_than_4_or_8() => Verifier.Analyze<QuantizerAnalyzer>(Usings + """
        class C
        {
            void M(nn.Module model)
            {
                using var q = new DynamicQuantizer(model, {|DSM0002:bits: 6|});
                using var r = new DynamicQuantizer(model, {|DSM0002:16|});
            }
        }
        """);

    [Fact]
    public Task DSM0002_is_silent_on_4_8_and_values_not_known_at_compile_time() => Verifier.Analyze<QuantizerAnalyzer>(Usings + """
        class C
        {
            void M(nn.Module model, int bits)
            {
                using var a = new DynamicQuantizer(model, bits: 4);
                using var b = new DynamicQuantizer(model, 8);
                using var c = new DynamicQuantizer(model);
                using var d = new DynamicQuantizer(model, bits);
            }
        }
        """);

    [Fact]
    public Task DSM0006_flags_per_tensor_and_not_per_channel() => Verifier.Analyze<QuantizerAnalyzer>(Usings + """
        class C
        {
            void M(nn.Module model, bool perChannel)
            {
                using var a = new DynamicQuantizer(model, 8, {|DSM0006:perChannel: false|});
                using var b = new DynamicQuantizer(model, 8, perChannel: true);
                using var c = new DynamicQuantizer(model, 8, perChannel);
            }
        }
        """);
}
