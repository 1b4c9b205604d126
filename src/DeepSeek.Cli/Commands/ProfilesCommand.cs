using System.CommandLine;
using System.Text.Json;
using DeepSeek.Cli.Output;
using DeepSeek.Engine.Profiles;

namespace DeepSeek.Cli.Commands;

/// <summary><c>deepseek profiles [--json] [--profiles-file F]</c>: the hardware profiles and their default recipes.</summary>
internal static class ProfilesCommand
{
    public static Command Create(TextWriter output, TextWriter error, Option<string?> profilesFile)
    {
        var json = new Option<bool>("--json") { Description = "Write the profiles as JSON." };
        var command = new Command("profiles", "List the hardware profiles, the runtime identifiers they serve and what their default recipe does.") { json };
        command.SetAction(parse => DeepSeekCli.Guard(error, parse.GetValue(profilesFile) ?? "profiles", () =>
        {
            var catalog = ProfileCatalog.Load(parse.GetValue(profilesFile));
            var host = catalog.ForHost().Name;
            if (parse.GetValue(json))
            {
                WriteJson(catalog, output);
                return DeepSeekCli.Success;
            }

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
        "fp16" => p.Fp16Compute ? "FP16 weights (fp16 compute where kernels exist)" : "FP16 weights, fp32 compute",
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
                json.WriteString("executionProvider", p.ExecutionProvider);
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
                json.WriteBoolean("fp16Compute", p.Fp16Compute);
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
