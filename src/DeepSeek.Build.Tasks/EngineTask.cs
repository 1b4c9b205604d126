using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Runtime.InteropServices;
using System.Text.RegularExpressions;
using Microsoft.Build.Framework;
using Microsoft.Build.Utilities;

namespace DeepSeek.Build.Tasks
{
    /// <summary>
    /// A task that runs the deepseek engine (DeepSeek.Cli.dll) out of process on the build's own dotnet host. Its
    /// <c>error DSxxxx: file: message</c> lines become MSBuild errors with that code, the file and a help link; its other
    /// output goes to the log at low importance.
    /// </summary>
    public abstract class EngineTask : ToolTask
    {
        private static readonly Regex ErrorLine = new Regex(@"^error (?<id>DS[A-Z]\d{4}): (?<file>.*?): (?<message>.*)$", RegexOptions.Compiled);
        private static readonly Regex WarningLine = new Regex(@"^warning (?<id>DS[A-Z]\d{4}): (?<file>.*?): (?<message>.*)$", RegexOptions.Compiled);

        /// <summary>The engine: the path of DeepSeek.Cli.dll.</summary>
        [Required]
        public string EnginePath { get; set; } = "";

        /// <summary>A JSON file of extra hardware profiles (the DeepSeekProfilesFile property).</summary>
        public string ProfilesFile { get; set; } = "";

        /// <summary>The dotnet host to run the engine with (default: the one running the build, see <see cref="Tasks.DotnetHost"/>).</summary>
        public string DotnetHost { get; set; } = "";

        /// <summary>The SDK's dotnet folder, <c>$(NetCoreRoot)</c>: where the host is when DOTNET_HOST_PATH is not set.</summary>
        public string NetCoreRoot { get; set; } = "";

        /// <summary>The file errors are reported against when the engine's own file is not one that exists.</summary>
        protected abstract string SubjectFile { get; }

        /// <inheritdoc />
        protected override string ToolName => RuntimeInformation.IsOSPlatform(OSPlatform.Windows) ? "dotnet.exe" : "dotnet";

        /// <inheritdoc />
        protected override MessageImportance StandardOutputLoggingImportance => MessageImportance.Low;

        /// <summary>The engine's arguments after the DLL (the verb and its options), unquoted.</summary>
        public abstract IReadOnlyList<string> EngineArguments();

        /// <summary>The whole command line after the host: the engine DLL and <see cref="EngineArguments"/>, quoted.</summary>
        public string CommandLine()
        {
            var all = new List<string> { EnginePath };
            all.AddRange(EngineArguments());
            if (!string.IsNullOrEmpty(ProfilesFile))
            {
                all.Add("--profiles-file");
                all.Add(ProfilesFile);
            }

            return EngineCommandLine.Join(all);
        }

        /// <inheritdoc />
        protected override string GenerateFullPathToTool()
            => Tasks.DotnetHost.Resolve(DotnetHost, Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "", NetCoreRoot,
                Environment.GetEnvironmentVariable("PATH") ?? "", RuntimeInformation.IsOSPlatform(OSPlatform.Windows), File.Exists);

        /// <inheritdoc />
        protected override string GenerateCommandLineCommands() => CommandLine();

        /// <summary>
        /// Unchanged: on Unix ToolTask would turn backslashes into slashes, which breaks a file name that holds one and the
        /// escapes <see cref="EngineCommandLine"/> writes. The paths here are the build's own, already right for this OS.
        /// </summary>
        protected override string AdjustCommandsForOperatingSystem(string input) => input;

        /// <inheritdoc />
        protected override void LogEventsFromTextOutput(string singleLine, MessageImportance messageImportance)
        {
            var warning = WarningLine.Match(singleLine ?? "");
            if (warning.Success)
            {
                var warningId = warning.Groups["id"].Value;
                var warningFile = warning.Groups["file"].Value;
                Log.LogWarning("DeepSeek", warningId, null, ProductLinks.DiagnosticHelp(warningId),
                    File.Exists(warningFile) ? warningFile : SubjectFile, 0, 0, 0, 0, warning.Groups["message"].Value);
                return;
            }

            var match = ErrorLine.Match(singleLine ?? "");
            if (!match.Success)
            {
                // The engine's "evidence:" line (verification on random inputs) and "budget: none" line (AccuracyBudget="none":
                // nothing enforced) are shown at normal verbosity; the rest stays low.
                var trimmed = singleLine?.TrimStart() ?? "";
                var loud = trimmed.StartsWith("evidence:", StringComparison.Ordinal) || trimmed.StartsWith("budget: none", StringComparison.Ordinal);
                Log.LogMessage(loud ? MessageImportance.High : MessageImportance.Low, singleLine);
                return;
            }

            var id = match.Groups["id"].Value;
            var file = match.Groups["file"].Value;
            Log.LogError("DeepSeek", id, null, ProductLinks.DiagnosticHelp(id),
                File.Exists(file) || Directory.Exists(file) ? file : SubjectFile, 0, 0, 0, 0, match.Groups["message"].Value);
        }

        private const string ProgressLines = "DEEPSEEK_PROGRESS=lines";

        /// <summary>The engine reports progress (per tensor, per sample) as lines, logged at low importance (<c>-v:detailed</c>).</summary>
        public override bool Execute()
        {
            EnvironmentVariables = (EnvironmentVariables ?? Array.Empty<string>()).Append(ProgressLines).ToArray();
            return base.Execute();
        }

        /// <inheritdoc />
        protected override bool HandleTaskExecutionErrors() => Log.HasLoggedErrors ? false : base.HandleTaskExecutionErrors();

        /// <inheritdoc />
        protected override bool ValidateParameters()
        {
            if (!File.Exists(EnginePath))
            {
                Log.LogError("DeepSeek", "DSB0091", null, null, SubjectFile, 0, 0, 0, 0,
                    "the DeepSeek engine was not found at '{0}' — restore the DeepSeek.Build package, or set DeepSeekEnginePath to DeepSeek.Cli.dll", EnginePath);
                return false;
            }

            return base.ValidateParameters();
        }
    }
}
