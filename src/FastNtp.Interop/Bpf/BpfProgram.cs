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

    /// <summary>
    /// Runs the program <paramref name="repeat"/> times in live-frames mode (BPF_PROG_TEST_RUN with
    /// BPF_F_TEST_XDP_LIVE_FRAMES): each run gets a page of the kernel's that starts as a copy of
    /// <paramref name="frame"/> and is recycled with whatever the previous run left in it, and XDP_TX and XDP_REDIRECT
    /// transmit the frame for real, as xdp_frames (no skb). The kernel runs <paramref name="batchSize"/> frames between
    /// flushes (0: its default, 64). Each call ends with an RCU grace period on the kernel's side (tens of
    /// milliseconds unless expedited RCU is on), so callers run many frames per call.
    /// </summary>
    public unsafe void RunLive(ReadOnlySpan<byte> frame, int repeat, int batchSize = 0)
    {
        _owner.ThrowIfDisposed();
        ArgumentOutOfRangeException.ThrowIfLessThan(repeat, 1);
        fixed (byte* dataIn = frame)
        {
            var options = new Interop.Bpf.BpfTestRunOptions
            {
                Size = (nuint)sizeof(Interop.Bpf.BpfTestRunOptions),
                DataIn = dataIn,
                DataSizeIn = (uint)frame.Length,
                Repeat = repeat,
                Flags = Interop.Bpf.TestRunXdpLiveFrames,
                BatchSize = (uint)batchSize,
            };
            BpfException.ThrowIfNegative(Interop.Bpf.ProgTestRunOpts(_fd, ref options), "bpf_prog_test_run_opts (live frames)");
        }
    }
}
