using System;
using System.Collections.Generic;
using System.IO;
using Microsoft.Build.Framework;

namespace DeepSeek.Build.Tasks
{
    /// <summary>
    /// Runs <c>deepseek compress</c> (or, in design-time builds, <c>deepseek manifest</c>) on one model.
    /// </summary>
    public sealed class DeepSeekCompress : EngineTask
    {
        /// <summary>The source model.</summary>
        [Required]
        public string Model { get; set; } = "";

        /// <summary>Where the compressed model goes.</summary>
        [Required]
        public string Output { get; set; } = "";

        /// <summary>Where the text manifest goes.</summary>
        [Required]
        public string Manifest { get; set; } = "";

        /// <summary>The hardware profile.</summary>
        public string Profile { get; set; } = "";

        /// <summary>The Quantize metadata.</summary>
        public string Quantize { get; set; } = "auto";

        /// <summary>The calibration folder.</summary>
        public string Calibration { get; set; } = "";

        /// <summary>The AccuracyBudget metadata.</summary>
        public string AccuracyBudget { get; set; } = "";

        /// <summary>The Prune metadata: a share to prune, such as <c>0.3</c> (<c>--prune</c>).</summary>
        public string Prune { get; set; } = "";

        /// <summary>The PruneMode metadata: <c>channel-l1</c>, <c>channel-l2</c> or <c>magnitude</c> (<c>--prune-mode</c>).</summary>
        public string PruneMode { get; set; } = "";

        /// <summary>The Sparsity metadata: an N:M pattern such as <c>2:4</c> or <c>1:16</c> (<c>--sparsity</c>).</summary>
        public string Sparsity { get; set; } = "";

        /// <summary>The Dims metadata: sizes of symbolic input dimensions for random samples, <c>name=size</c> separated by <c>;</c> or <c>,</c> (each becomes a <c>--dim</c>).</summary>
        public string Dims { get; set; } = "";

        /// <summary>The Task metadata: one output kind for every floating-point output (<c>embedding</c>, becomes <c>--task</c>),
        /// and/or <c>output=kind</c> pairs separated by <c>;</c> or <c>,</c> (each becomes an <c>--output-kind</c>).</summary>
        public string ModelTask { get; set; } = "";

        private static readonly char[] ListSeparators = { ';', ',' };

        /// <summary>The content-hash cache folder.</summary>
        public string CacheDirectory { get; set; } = "";

        /// <summary>The memory the engine may use (<c>DeepSeekMaxMemory</c>, such as <c>3GB</c>; <c>--max-memory</c>); empty: half the machine's.</summary>
        public string MaxMemory { get; set; } = "";

        /// <summary>Where the JSON report goes.</summary>
        public string Report { get; set; } = "";

        /// <summary>Where the HTML report goes (<c>--html-report</c>); after a compression that wrote it, the task logs its path
        /// at high importance, named for the compressed model (the item's path in bin/, not the source file's name).</summary>
        public string HtmlReport { get; set; } = "";

        /// <summary>A design-time (IDE) build: write the manifest only, never compress.</summary>
        public bool DesignTime { get; set; }

        /// <inheritdoc />
        protected override string SubjectFile => Model;

        /// <inheritdoc />
        public override IReadOnlyList<string> EngineArguments()
        {
            var args = new List<string>();
            if (DesignTime)
            {
                args.AddRange(new[] { "manifest", Model, "-o", Manifest, "--quantize", Quantize });
            }
            else
            {
                args.AddRange(new[] { "compress", Model, "-o", Output, "--manifest", Manifest, "--quantize", Quantize });
                AddIfSet(args, "--calibration", Calibration);
                AddIfSet(args, "--accuracy-budget", AccuracyBudget);
                AddIfSet(args, "--prune", Prune);
                AddIfSet(args, "--prune-mode", PruneMode);
                AddIfSet(args, "--sparsity", Sparsity);
                AddIfSet(args, "--cache", CacheDirectory);
                AddIfSet(args, "--max-memory", MaxMemory);
                AddIfSet(args, "--report", Report);
                AddIfSet(args, "--html-report", HtmlReport);
                foreach (var kind in ModelTask.Split(ListSeparators, System.StringSplitOptions.RemoveEmptyEntries))
                {
                    AddIfSet(args, kind.Contains("=") ? "--output-kind" : "--task", kind.Trim());
                }

                foreach (var dim in Dims.Split(ListSeparators, System.StringSplitOptions.RemoveEmptyEntries))
                {
                    AddIfSet(args, "--dim", dim.Trim());
                }
            }

            AddIfSet(args, "--profile", Profile);
            return args;
        }

        /// <inheritdoc />
        public override bool Execute()
        {
            var started = DateTime.UtcNow.AddSeconds(-2); // file times can be coarser than the clock
            var ok = base.Execute();
            if (ok && !DesignTime && !string.IsNullOrEmpty(HtmlReport) && File.Exists(HtmlReport) && File.GetLastWriteTimeUtc(HtmlReport) >= started)
            {
                // Only a report this run wrote: a model served from the cache gets none, and an older one may not be its.
                Log.LogMessage(MessageImportance.High, "DeepSeek: report for {0}: {1}", Path.GetFileName(Output), Path.GetFullPath(HtmlReport));
            }

            return ok;
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
