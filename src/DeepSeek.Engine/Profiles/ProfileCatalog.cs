using System.Text.Json;
using DeepSeek.Onnx.Diagnostics;

namespace DeepSeek.Engine.Profiles;

/// <summary>
/// The hardware profiles: the built-in table (Profiles/profiles.json) plus, optionally, a user file of the same shape
/// whose profiles are added or replace built-in ones of the same name.
/// </summary>
public sealed class ProfileCatalog
{
    private readonly Dictionary<string, HardwareProfile> profiles;

    private ProfileCatalog(IEnumerable<HardwareProfile> profiles)
    {
        this.profiles = new Dictionary<string, HardwareProfile>(StringComparer.Ordinal);
        foreach (var profile in profiles)
        {
            this.profiles[profile.Name] = profile;
        }
    }

    /// <summary>The profiles, built-in first, in file order.</summary>
    public IReadOnlyList<HardwareProfile> All => profiles.Values.ToArray();

    /// <summary>The built-in profiles.</summary>
    public static ProfileCatalog BuiltIn { get; } = new(ReadBuiltIn());

    /// <summary>The built-in profiles plus those of <paramref name="userFile"/> (null: built-in only).</summary>
    /// <exception cref="DeepSeekException">DSB0061 when the file is missing or malformed.</exception>
    public static ProfileCatalog Load(string? userFile)
    {
        if (userFile is null)
        {
            return BuiltIn;
        }

        if (!File.Exists(userFile))
        {
            throw new DeepSeekException(DiagnosticIds.InvalidProfile, userFile, "the profiles file does not exist");
        }

        try
        {
            using var stream = File.OpenRead(userFile);
            return new ProfileCatalog(BuiltIn.All.Concat(Parse(stream, userFile)));
        }
        catch (IOException e)
        {
            throw new DeepSeekException(DiagnosticIds.InvalidProfile, userFile, e.Message);
        }
    }

    /// <summary>The profile named <paramref name="name"/>.</summary>
    /// <exception cref="DeepSeekException">DSB0061 naming the known profiles.</exception>
    public HardwareProfile Get(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        return profiles.TryGetValue(name, out var profile)
            ? profile
            : throw new DeepSeekException(DiagnosticIds.InvalidProfile, name, $"no hardware profile is named {Names.Quote(name)}",
                $"use one of: {string.Join(", ", profiles.Keys)} (deepseek profiles lists them)");
    }

    /// <summary>
    /// The default profile of a runtime identifier, or null when no profile claims it. When several claim it, the last one
    /// wins: a user file's profile that names a RID takes it over from the built-in one.
    /// </summary>
    public HardwareProfile? ForRid(string rid) => profiles.Values.LastOrDefault(p => p.Rids.Contains(rid, StringComparer.OrdinalIgnoreCase));

    /// <summary>The profile of the machine this runs on (what <c>dotnet build</c> without a RID targets).</summary>
    public HardwareProfile ForHost() => ForHost(HostCpu.Current);

    /// <summary>The profile of a machine with the given CPU.</summary>
    public HardwareProfile ForHost(HostCpu cpu)
    {
        ArgumentNullException.ThrowIfNull(cpu);
        return Get(cpu.ProfileName);
    }

    /// <summary>
    /// The one RID → profile decision the build and the CLI share: the profile that claims <paramref name="rid"/>, or this
    /// machine's when there is no RID (a RID names the target, so it never falls back to the build machine).
    /// </summary>
    /// <exception cref="DeepSeekException">DSB0061 when no profile claims the RID.</exception>
    public HardwareProfile Resolve(string? rid)
    {
        if (string.IsNullOrWhiteSpace(rid))
        {
            return ForHost();
        }

        return ForRid(rid) ?? throw new DeepSeekException(DiagnosticIds.InvalidProfile, rid, $"no hardware profile serves the runtime identifier {Names.Quote(rid)}",
            "set DeepSeekHardwareProfile (or the Profile metadata, or --profile) to one of: " + string.Join(", ", profiles.Keys)
            + ", or add a profile whose \"rids\" name it in a DeepSeekProfilesFile");
    }

    private static List<HardwareProfile> ReadBuiltIn()
    {
        using var stream = typeof(ProfileCatalog).Assembly.GetManifestResourceStream("DeepSeek.Engine.profiles.json")
            ?? throw new InvalidOperationException("the built-in profiles resource is missing");
        return Parse(stream, "profiles.json");
    }

    private static List<HardwareProfile> Parse(Stream stream, string file)
    {
        try
        {
            using var document = JsonDocument.Parse(stream, new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
            var list = new List<HardwareProfile>();
            foreach (var p in document.RootElement.GetProperty("profiles").EnumerateArray())
            {
                var int8 = p.GetProperty("int8");
                var options = int8.TryGetProperty("sessionOptions", out var so)
                    ? so.EnumerateObject().ToDictionary(o => o.Name, o => o.Value.GetString() ?? "", StringComparer.Ordinal)
                    : new Dictionary<string, string>(StringComparer.Ordinal);
                var activations = int8.GetProperty("activations").GetString();
                var bits = int8.GetProperty("weightBits").GetInt32();
                if (activations is not ("uint8" or "int8") || bits is not (7 or 8))
                {
                    throw new DeepSeekException(DiagnosticIds.InvalidProfile, file,
                        $"profile {Names.Quote(p.GetProperty("name").GetString())} has int8 activations {Names.Quote(activations)} and weightBits {bits}",
                        "use activations 'uint8' or 'int8' and weightBits 7 or 8");
                }

                var accuracyLevel = p.TryGetProperty("int4", out var int4) && int4.TryGetProperty("accuracyLevel", out var level) ? level.GetInt32() : HardwareProfile.CpuInt4AccuracyLevel;
                if (accuracyLevel is < 0 or > 4)
                {
                    throw new DeepSeekException(DiagnosticIds.InvalidProfile, file,
                        $"profile {Names.Quote(p.GetProperty("name").GetString())} has int4 accuracyLevel {accuracyLevel}", "use 0 (the runtime's choice), 1 (fp32), 2 (fp16), 3 (bf16) or 4 (int8)");
                }

                list.Add(new HardwareProfile(
                    p.GetProperty("name").GetString() ?? throw new KeyNotFoundException("name"),
                    p.TryGetProperty("rids", out var rids) ? rids.EnumerateArray().Select(r => r.GetString() ?? "").ToArray() : [],
                    p.TryGetProperty("description", out var d) ? d.GetString() ?? "" : "",
                    p.TryGetProperty("defaultRecipe", out var r) ? r.GetString() ?? "int8" : "int8",
                    new Int8Form(activations, bits, options),
                    p.TryGetProperty("sizeBudgetMB", out var s) ? s.GetDouble() : null) { Int4AccuracyLevel = accuracyLevel });
            }

            return list;
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
        {
            throw new DeepSeekException(DiagnosticIds.InvalidProfile, file, $"the profiles file is malformed ({e.Message.TrimEnd('.')})",
                "follow the shape of the built-in profiles (deepseek profiles --json prints them)");
        }
    }
}
