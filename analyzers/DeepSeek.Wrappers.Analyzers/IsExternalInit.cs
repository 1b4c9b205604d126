namespace System.Runtime.CompilerServices
{
    /// <summary>Lets netstandard2.0 compile records (the type exists in .NET 5+).</summary>
    internal static class IsExternalInit
    {
    }
}
