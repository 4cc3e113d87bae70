namespace FastNtp.Interop.Bpf;

/// <summary>An attachment through a BPF link: disposing it, or the process ending, detaches the program.</summary>
public sealed class BpfLink : IDisposable
{
    private readonly SafeBpfLinkHandle _handle;

    internal BpfLink(SafeBpfLinkHandle handle)
    {
        _handle = handle;
    }

    public void Dispose() => _handle.Dispose();
}
