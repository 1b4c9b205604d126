using System.Collections.Generic;
using System.Text;

namespace DeepSeek.Build.Tasks
{
    /// <summary>
    /// Joins engine arguments into one command line that the process that receives it splits back into exactly those
    /// arguments: Windows' CommandLineToArgvW rules, which the dotnet host's argv parsing follows on Windows and which .NET's
    /// <c>Process</c> applies itself on Unix when ToolTask passes it the string. Every argument is quoted; backslashes are
    /// doubled only where they precede a quote (a path ending in <c>\</c> keeps its last backslash); quotes become <c>\"</c>.
    /// A response file would not do: System.CommandLine's splits lines on spaces and drops every quote character.
    /// </summary>
    public static class EngineCommandLine
    {
        /// <summary>The command line of <paramref name="arguments"/>.</summary>
        public static string Join(IEnumerable<string> arguments)
        {
            var builder = new StringBuilder();
            foreach (var argument in arguments)
            {
                if (builder.Length > 0)
                {
                    builder.Append(' ');
                }

                Append(builder, argument ?? "");
            }

            return builder.ToString();
        }

        private static void Append(StringBuilder builder, string argument)
        {
            builder.Append('"');
            var backslashes = 0;
            foreach (var c in argument)
            {
                if (c == '\\')
                {
                    backslashes++;
                    continue;
                }

                // Backslashes are literal unless a quote follows: then each is doubled and the quote escaped.
                builder.Append('\\', c == '"' ? (backslashes * 2) + 1 : backslashes);
                builder.Append(c);
                backslashes = 0;
            }

            builder.Append('\\', backslashes * 2); // before the closing quote
            builder.Append('"');
        }
    }
}
