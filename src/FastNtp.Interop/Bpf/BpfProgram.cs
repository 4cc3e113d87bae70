namespace FastNtp.Interop.Bpf;

/// <summary>A program of a loaded <see cref="BpfObject"/>.</summary>
public sealed class BpfProgram
{
    private readonly BpfObject _owner;
    private readonly int _fd;

    internal BpfProgram(BpfObject owner, int fd)
    {
        _owner = owner;
        _fd = fd;
    }

    /// <summary>Attaches an XDP program to an interface through a BPF link owned by this process.</summary>
    public BpfLink AttachXdp(int interfaceIndex, XdpAttachMode mode)
    {
        _owner.ThrowIfDisposed();
        var options = new Interop.Bpf.BpfLinkCreateOptions
        {
            Size = (nuint)System.Runtime.CompilerServices.Unsafe.SizeOf<Interop.Bpf.BpfLinkCreateOptions>(),
            Flags = (uint)mode,
        };
        int fd = Interop.Bpf.LinkCreate(_fd, interfaceIndex, Interop.Bpf.BpfAttachType.Xdp, in options);
        BpfException.ThrowIfNegative(fd, "bpf_link_create");
        return new BpfLink(new SafeBpfLinkHandle(fd));
    }

    /// <summary>
    /// Runs the program once on <paramref name="input"/> (BPF_PROG_TEST_RUN) and returns its verdict; what it
    /// left in the buffer is copied to <paramref name="output"/>, <paramref name="outputLength"/> octets.
    /// </summary>
    public unsafe uint TestRun(ReadOnlySpan<byte> input, Span<byte> output, out int outputLength)
    {
        _owner.ThrowIfDisposed();
        fixed (byte* dataIn = input)
        fixed (byte* dataOut = output)
        {
            var options = new Interop.Bpf.BpfTestRunOptions
            {
                Size = (nuint)sizeof(Interop.Bpf.BpfTestRunOptions),
                DataIn = dataIn,
                DataSizeIn = (uint)input.Length,
                DataOut = dataOut,
                DataSizeOut = (uint)output.Length,
                Repeat = 1,
            };
            BpfException.ThrowIfNegative(Interop.Bpf.ProgTestRunOpts(_fd, ref options), "bpf_prog_test_run_opts");
            outputLength = (int)options.DataSizeOut;
            return options.ReturnValue;
        }
    }
}
