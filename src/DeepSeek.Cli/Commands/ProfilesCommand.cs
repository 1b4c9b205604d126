using System.CommandLine;
using System.Text.Json;
using DeepSeek.Cli.Output;
using DeepSeek.Engine.Profiles;
using DeepSeek.Onnx.Diagnostics;

namespace DeepSeek.Cli.Commands;

/// <summary>
/// <c>deepseek profiles [--json] [--profiles-file F]</c>: the hardware profiles and their default recipes, and this machine's.
/// <c>deepseek profiles --resolve [--rid RID]</c>: only the name of the profile a build for that RID (none: this machine)
/// uses; the MSBuild targets ask this, so that the RID → profile table lives in profiles.json alone.
/// </summary>
internal static class ProfilesCommand
{
    public static Command Create(TextWriter output, TextWriter error, Option<string?> profilesFile)
    {
        var json = new Option<bool>("--json") { Description = "Write the profiles as JSON." };
        var resolve = new Option<bool>("--resolve") { Description = "Write only the name of the profile for --rid (none: this machine's)." };
        var rid = new Option<string?>("--rid") { Description = "With --resolve: the runtime identifier the build targets." };
        var command = new Command("profiles", "List the hardware profiles, the runtime identifiers they serve and what their default recipe does.") { json, resolve, rid };
        command.SetAction(parse => DeepSeekCli.Guard(error, parse.GetValue(profilesFile) ?? "profiles", () =>
        {
            var catalog = ProfileCatalog.Load(parse.GetValue(profilesFile));
            if (parse.GetValue(resolve))
            {
                output.WriteLine(catalog.Resolve(parse.GetValue(rid)).Name);
                return DeepSeekCli.Success;
            }

            if (parse.GetValue(rid) is not null)
            {
                throw new DeepSeekException(DiagnosticIds.InvalidOption, "--rid", "--rid only goes with --resolve", "add --resolve, or leave --rid out");
            }

            var host = catalog.ForHost().Name;
            if (parse.GetValue(json))
            {
                WriteJson(catalog, output);
                return DeepSeekCli.Success;
            }

            output.WriteLine($"this machine: {HostCpu.Current.Describe()} → {host}");

            foreach (var p in catalog.All)
            {
                output.WriteLine($"{p.Name}{(p.Name == host ? "  (this machine)" : "")}");
                output.WriteLine($"  RIDs            {(p.Rids.Count == 0 ? "(opt-in)" : string.Join(", ", p.Rids))}");
                output.WriteLine($"  target          {p.Description}");
                output.WriteLine($"  default recipe  {Describe(p)}");
            }

            return DeepSeekCli.Success;
        }));
        return command;
    }

    /// <summary>What the profile's default recipe does, in words.</summary>
    internal static string Describe(HardwareProfile p) => p.DefaultRecipe switch
    {
        "int8" => $"INT8 (static QDQ given calibration data for conv nets, else dynamic), {p.Int8.Activations} activations, {p.Int8.WeightBits}-bit per-channel weights"
            + (p.Int8.WeightBits == 7 ? " (saturation-safe)" : ""),
        "int8-dynamic" => $"INT8 dynamic: {p.Int8.WeightBits}-bit weights, activations quantized at run time",
        "fp16" => "FP16 weights, fp32 compute",
        _ => p.DefaultRecipe,
    };

    private static void WriteJson(ProfileCatalog catalog, TextWriter output)
    {
        JsonOutput.Write(output, json =>
        {
            json.WriteStartObject();
            json.WriteStartArray("profiles");
            foreach (var p in catalog.All)
            {
                json.WriteStartObject();
                json.WriteString("name", p.Name);
                json.WriteStartArray("rids");
                foreach (var rid in p.Rids)
                {
                    json.WriteStringValue(rid);
                }

                json.WriteEndArray();
                json.WriteString("description", p.Description);
                json.WriteString("defaultRecipe", p.DefaultRecipe);
                json.WriteStartObject("int8");
                json.WriteString("activations", p.Int8.Activations);
                json.WriteNumber("weightBits", p.Int8.WeightBits);
                json.WriteStartObject("sessionOptions");
                foreach (var (k, v) in p.Int8.SessionOptions)
                {
                    json.WriteString(k, v);
                }

                json.WriteEndObject();
                json.WriteEndObject();
                if (p.SizeBudgetMB is { } budget)
                {
                    json.WriteNumber("sizeBudgetMB", budget);
                }

                json.WriteEndObject();
            }

            json.WriteEndArray();
            json.WriteEndObject();
        });
    }
}
