namespace FastNtp.Interop;

internal static partial class Interop
{
    /// <summary>libbpf 1.x (Debian's libbpf1): every call returns a negative errno or NULL with errno set.</summary>
    internal static partial class Bpf
    {
        private const string LibraryName = "libbpf.so.1";
    }
}
