using System;
using System.Collections.Generic;
using System.IO;
using Microsoft.Build.Framework;

namespace DeepSeek.Build.Tasks
{
    /// <summary>
    /// Asks the engine which hardware profile a build uses: <c>deepseek profiles --resolve [--rid RID] [--profiles-file F]</c>.
    /// The RID → profile table is the engine's profiles.json (plus the user's file) and nothing else; without a RID the
    /// engine reads this machine's CPU. One answer per RID, profiles file and engine is kept for the rest of the build, so a
    /// solution of many projects starts the engine once per distinct question (about 0.1 s).
    /// </summary>
    public sealed class DeepSeekResolveProfile : EngineTask
    {
        private string answer = "";

        /// <summary>The runtime identifier the build targets (none: this machine).</summary>
        public string RuntimeIdentifier { get; set; } = "";

        /// <summary>The project, for error locations.</summary>
        public string ProjectFile { get; set; } = "";

        /// <summary>The profile's name.</summary>
        [Output]
        public string Profile { get; set; } = "";

        /// <inheritdoc />
        protected override string SubjectFile => string.IsNullOrEmpty(ProfilesFile) ? ProjectFile : ProfilesFile;

        /// <inheritdoc />
        public override IReadOnlyList<string> EngineArguments()
        {
            var args = new List<string> { "profiles", "--resolve" };
            if (!string.IsNullOrEmpty(RuntimeIdentifier))
            {
                args.Add("--rid");
                args.Add(RuntimeIdentifier);
            }

            return args;
        }

        /// <inheritdoc />
        public override bool Execute()
        {
            var key = CacheKey();
            var engine = BuildEngine as IBuildEngine4;
            if (engine?.GetRegisteredTaskObject(key, RegisteredTaskObjectLifetime.Build) is string cached)
            {
                Profile = cached;
                return true;
            }

            if (!base.Execute() || answer.Length == 0)
            {
                return false;
            }

            Profile = answer;
            engine?.RegisterTaskObject(key, answer, RegisteredTaskObjectLifetime.Build, allowEarlyCollection: false);
            return true;
        }

        /// <inheritdoc />
        protected override void LogEventsFromTextOutput(string singleLine, MessageImportance messageImportance)
        {
            var line = (singleLine ?? "").Trim();
            if (answer.Length == 0 && line.Length > 0 && !line.StartsWith("error ", StringComparison.Ordinal))
            {
                answer = line;
            }

            base.LogEventsFromTextOutput(singleLine ?? "", messageImportance);
        }

        private string CacheKey() => string.Join("|", "DeepSeekResolveProfile", Stamp(EnginePath), RuntimeIdentifier, Stamp(ProfilesFile));

        private static string Stamp(string file)
            => string.IsNullOrEmpty(file) ? "" : file + "@" + (File.Exists(file) ? File.GetLastWriteTimeUtc(file).Ticks.ToString(System.Globalization.CultureInfo.InvariantCulture) : "missing");
    }
}
