using System.Runtime.InteropServices;

namespace DeepSeek.Torch.Native;

/// <summary>
/// The process environment as native libraries see it. On Unix, <see cref="Environment.SetEnvironmentVariable(string, string)"/>
/// changes only .NET's own copy, which <c>getenv</c> in libtorch never reads, so this goes through libc.
/// </summary>
internal static partial class NativeEnvironment
{
    public static string? Get(string name)
        => OperatingSystem.IsWindows() ? Environment.GetEnvironmentVariable(name) : Marshal.PtrToStringUTF8(getenv(name));

    public static void Set(string name, string value)
    {
        Environment.SetEnvironmentVariable(name, value); // Windows: the process block native code reads; Unix: .NET's view
        if (!OperatingSystem.IsWindows() && setenv(name, value, 1) != 0)
        {
            throw new InvalidOperationException($"setenv({name}) failed with errno {Marshal.GetLastPInvokeError()}");
        }
    }

    [LibraryImport("libc", StringMarshalling = StringMarshalling.Utf8)]
    private static partial nint getenv(string name);

    [LibraryImport("libc", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int setenv(string name, string value, int overwrite);
}
