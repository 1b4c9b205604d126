using System.CommandLine;
using DeepSeek.Engine.Verification;
using DeepSeek.Onnx.Diagnostics;

namespace DeepSeek.Cli.Commands;

/// <summary><c>--task</c> and <c>--output-kind</c>, as <c>compress</c>, <c>eval</c> and <c>recommend</c> take them.</summary>
internal sealed class OutputKindOptions
{
    /// <summary><c>--task KIND</c>: the kind of every floating-point output.</summary>
    public Option<string?> Task { get; } = new("--task")
    {
        Description = "What every floating-point output is: " + string.Join(", ", OutputKinds.All) + " (default: inferred from the graph).",
    };

    /// <summary><c>--output-kind name=kind</c>, repeatable.</summary>
    public Option<string[]> OutputKind { get; } = new("--output-kind")
    {
        Description = "One output's kind, as name=kind (repeatable; over --task).",
        Arity = ArgumentArity.ZeroOrMore,
    };

    /// <summary>Adds both options to <paramref name="command"/>.</summary>
    public void AddTo(Command command)
    {
        command.Options.Add(Task);
        command.Options.Add(OutputKind);
    }

    /// <summary>The <c>--output-kind</c> values as a dictionary (DSB0065 for one without '=' or with an unknown kind).</summary>
    public Dictionary<string, string> ByOutput(ParseResult parse)
    {
        ArgumentNullException.ThrowIfNull(parse);
        var kinds = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var text in parse.GetValue(OutputKind) ?? [])
        {
            var at = text.LastIndexOf('=');
            if (at <= 0 || at == text.Length - 1)
            {
                throw new DeepSeekException(DiagnosticIds.InvalidOption, "--output-kind", $"{Names.Quote(text)} is not name=kind", "for example --output-kind last_hidden_state=embedding");
            }

            _ = OutputKinds.Parse(text[(at + 1)..], "--output-kind");
            kinds[text[..at]] = text[(at + 1)..];
        }

        return kinds;
    }
}
