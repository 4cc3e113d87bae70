namespace FastNtp.Interop.Bpf;

/// <summary>Interface names to indexes, as the kernel numbers them.</summary>
public static class NetworkInterfaces
{
    /// <summary>The interface's index, or 0 when there is no such interface.</summary>
    public static int IndexOf(string name) => (int)Interop.Libc.IfNameToIndex(name);
}
