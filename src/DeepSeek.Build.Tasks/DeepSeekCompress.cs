using System;
using System.Collections.Generic;
using System.IO;
using System.Text;
using System.Text.RegularExpressions;
using Microsoft.Build.Framework;
using Microsoft.Build.Utilities;

namespace DeepSeek.Build.Tasks
{
    /// <summary>
    /// Runs <c>deepseek compress</c> (or, in design-time builds, <c>deepseek manifest</c>) on one model. The engine runs out of
    /// process on the .NET host that runs the build; its <c>error DSxxxx: file: message</c> lines become MSBuild errors with
    /// that code, the file and a help link; its other output goes to the log at low importance.
    /// </summary>
    public sealed class DeepSeekCompress : ToolTask
    {
        private static readonly Regex ErrorLine = new Regex(@"^error (?<id>DS[A-Z]\d{4}): (?<file>.*?): (?<message>.*)$", RegexOptions.Compiled);

        /// <summary>The source model.</summary>
        [Required]
        public string Model { get; set; } = "";

        /// <summary>Where the compressed model goes.</summary>
        [Required]
        public string Output { get; set; } = "";

        /// <summary>Where the text manifest goes.</summary>
        [Required]
        public string Manifest { get; set; } = "";

        /// <summary>The engine: the path of DeepSeek.Cli.dll.</summary>
        [Required]
        public string EnginePath { get; set; } = "";

        /// <summary>The hardware profile.</summary>
        public string Profile { get; set; } = "";

        /// <summary>The Quantize metadata.</summary>
        public string Quantize { get; set; } = "auto";

        /// <summary>The calibration folder.</summary>
        public string Calibration { get; set; } = "";

        /// <summary>The AccuracyBudget metadata.</summary>
        public string AccuracyBudget { get; set; } = "";

        /// <summary>The content-hash cache folder.</summary>
        public string CacheDirectory { get; set; } = "";

        /// <summary>Where the JSON report goes.</summary>
        public string Report { get; set; } = "";

        /// <summary>A design-time (IDE) build: write the manifest only, never compress.</summary>
        public bool DesignTime { get; set; }

        /// <summary>The dotnet host to run the engine with (default: the one running the build).</summary>
        public string DotnetHost { get; set; } = "";

        /// <inheritdoc />
        protected override string ToolName => "dotnet";

        /// <inheritdoc />
        protected override MessageImportance StandardOutputLoggingImportance => MessageImportance.Low;

        /// <inheritdoc />
        protected override string GenerateFullPathToTool()
        {
            if (!string.IsNullOrEmpty(DotnetHost))
            {
                return DotnetHost;
            }

            var host = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH");
            return string.IsNullOrEmpty(host) ? "dotnet" : host!;
        }

        /// <inheritdoc />
        protected override string GenerateCommandLineCommands()
        {
            var args = new List<string> { EnginePath };
            if (DesignTime)
            {
                args.AddRange(new[] { "manifest", Model, "-o", Manifest, "--quantize", Quantize });
            }
            else
            {
                args.AddRange(new[] { "compress", Model, "-o", Output, "--manifest", Manifest, "--quantize", Quantize });
                AddIfSet(args, "--calibration", Calibration);
                AddIfSet(args, "--accuracy-budget", AccuracyBudget);
                AddIfSet(args, "--cache", CacheDirectory);
                AddIfSet(args, "--report", Report);
            }

            AddIfSet(args, "--profile", Profile);
            var builder = new StringBuilder();
            foreach (var arg in args)
            {
                if (builder.Length > 0)
                {
                    builder.Append(' ');
                }

                builder.Append('"').Append(arg.Replace("\"", "\\\"")).Append('"');
            }

            return builder.ToString();
        }

        /// <inheritdoc />
        protected override void LogEventsFromTextOutput(string singleLine, MessageImportance messageImportance)
        {
            var match = ErrorLine.Match(singleLine ?? "");
            if (!match.Success)
            {
                Log.LogMessage(MessageImportance.Low, singleLine);
                return;
            }

            var id = match.Groups["id"].Value;
            var file = match.Groups["file"].Value;
            Log.LogError("DeepSeek", id, null, "https://github.com/deepseek-dotnet/deepseek-dotnet/blob/main/docs/diagnostics.md#" + id.ToLowerInvariant(),
                File.Exists(file) || Directory.Exists(file) ? file : Model, 0, 0, 0, 0, match.Groups["message"].Value);
        }

        /// <inheritdoc />
        protected override bool HandleTaskExecutionErrors() => Log.HasLoggedErrors ? false : base.HandleTaskExecutionErrors();

        /// <inheritdoc />
        protected override bool ValidateParameters()
        {
            if (!File.Exists(EnginePath))
            {
                Log.LogError("DeepSeek", "DSB0091", null, null, Model, 0, 0, 0, 0,
                    "the DeepSeek engine was not found at '{0}' — restore the DeepSeek.Build package, or set DeepSeekEnginePath to DeepSeek.Cli.dll", EnginePath);
                return false;
            }

            return base.ValidateParameters();
        }

        private static void AddIfSet(List<string> args, string option, string value)
        {
            if (!string.IsNullOrEmpty(value))
            {
                args.Add(option);
                args.Add(value);
            }
        }
    }
}
