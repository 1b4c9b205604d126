using System.CommandLine;
using DeepSeek.Cli.Commands;
using DeepSeek.Onnx.Diagnostics;

namespace DeepSeek.Cli;

/// <summary>
/// The <c>deepseek</c> command line. Exit codes: 0 success, 1 a failure reported as one
/// <c>error DSxxxx: ...</c> line, 2 an invalid command line.
/// </summary>
public static class DeepSeekCli
{
    /// <summary>Exit code of a successful run.</summary>
    public const int Success = 0;

    /// <summary>Exit code of a run that reported an error.</summary>
    public const int Failure = 1;

    /// <summary>Exit code of an invalid command line.</summary>
    public const int UsageError = 2;

    /// <summary>The environment variable that asks for progress as lines (<c>lines</c>) even when stderr is redirected.</summary>
    public const string ProgressVariable = "DEEPSEEK_PROGRESS";

    /// <summary>Parses <paramref name="args"/> and runs the verb, writing to the given writers; progress goes to
    /// <paramref name="error"/> on one rewritten line when <paramref name="interactive"/>, as lines when <paramref name="progressLines"/>.</summary>
    public static int Run(string[] args, TextWriter output, TextWriter error, bool interactive = false, bool progressLines = false)
    {
        ArgumentNullException.ThrowIfNull(args);
        var profilesFile = new Option<string?>("--profiles-file") { Description = "A JSON file of extra hardware profiles.", Recursive = true };
        var progress = new ProgressWriter(error, interactive, progressLines);
        var root = new RootCommand("DeepSeek for .NET: inspect, compress and verify ONNX models for a target device.")
        {
            profilesFile,
            InspectCommand.Create(output, error),
            CompressCommand.Create(output, error, profilesFile, progress),
            EvalCommand.Create(output, error, progress),
            RecommendCommand.Create(output, error, profilesFile, progress),
            ProfilesCommand.Create(output, error, profilesFile),
            ManifestCommand.Create(output, error, profilesFile),
        };

        var parse = root.Parse(args.Length == 0 ? ["--help"] : args);
        if (parse.Errors.Count > 0)
        {
            foreach (var parseError in parse.Errors)
            {
                error.WriteLine(new DeepSeekException(DiagnosticIds.InvalidArguments, "deepseek", parseError.Message).ToErrorLine());
            }

            return UsageError;
        }

        return parse.Invoke(new InvocationConfiguration { Output = output, Error = error, EnableDefaultExceptionHandler = false });
    }

    /// <summary>Runs a verb's work, turning every failure into one error line and exit code 1; never a stack trace.</summary>
    internal static int Guard(TextWriter error, string file, Func<int> work)
    {
        try
        {
            return work();
        }
        catch (DeepSeekException e)
        {
            error.WriteLine(e.ToErrorLine());
            return Failure;
        }
        catch (OperationCanceledException)
        {
            error.WriteLine(new DeepSeekException(DiagnosticIds.InternalError, file, "cancelled", "nothing was written; run the command again").ToErrorLine());
            return Failure;
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            error.WriteLine(new DeepSeekException(DiagnosticIds.InternalError, file, $"{e.GetType().Name}: {e.Message}").ToErrorLine());
            return Failure;
        }
    }
}
