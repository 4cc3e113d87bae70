namespace FastNtp.LoadTest;

/// <summary>The BPF objects of Bpf/*.c, compiled by clang at build time and embedded in this assembly.</summary>
internal static class EmbeddedBpfObject
{
    /// <summary>The object embedded as <paramref name="resourceName"/>, or null when this build had no clang to compile it.</summary>
    public static byte[]? Read(string resourceName)
    {
        using Stream? stream = typeof(EmbeddedBpfObject).Assembly.GetManifestResourceStream(resourceName);
        if (stream is null) return null;
        byte[] bytes = new byte[stream.Length];
        stream.ReadExactly(bytes);
        return bytes;
    }
}
