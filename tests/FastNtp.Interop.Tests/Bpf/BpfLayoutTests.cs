using FastNtp.Interop.Bpf;
using static FastNtp.Interop.Interop.Bpf;

namespace FastNtp.Interop.Tests.Bpf;

/// <summary>Pins the libbpf structs and constants the binding mirrors to libbpf-dev's headers, compiled with gcc here.</summary>
public class BpfLayoutTests
{
    private static readonly Lazy<Dictionary<string, long>> Facts = new(Probe);

    [Theory]
    [InlineData("sizeof(struct bpf_test_run_opts)", typeof(BpfTestRunOptions), null)]
    [InlineData("offsetof(struct bpf_test_run_opts, data_in)", typeof(BpfTestRunOptions), nameof(BpfTestRunOptions.DataIn))]
    [InlineData("offsetof(struct bpf_test_run_opts, data_out)", typeof(BpfTestRunOptions), nameof(BpfTestRunOptions.DataOut))]
    [InlineData("offsetof(struct bpf_test_run_opts, data_size_in)", typeof(BpfTestRunOptions), nameof(BpfTestRunOptions.DataSizeIn))]
    [InlineData("offsetof(struct bpf_test_run_opts, data_size_out)", typeof(BpfTestRunOptions), nameof(BpfTestRunOptions.DataSizeOut))]
    [InlineData("offsetof(struct bpf_test_run_opts, ctx_in)", typeof(BpfTestRunOptions), nameof(BpfTestRunOptions.ContextIn))]
    [InlineData("offsetof(struct bpf_test_run_opts, ctx_out)", typeof(BpfTestRunOptions), nameof(BpfTestRunOptions.ContextOut))]
    [InlineData("offsetof(struct bpf_test_run_opts, ctx_size_in)", typeof(BpfTestRunOptions), nameof(BpfTestRunOptions.ContextSizeIn))]
    [InlineData("offsetof(struct bpf_test_run_opts, ctx_size_out)", typeof(BpfTestRunOptions), nameof(BpfTestRunOptions.ContextSizeOut))]
    [InlineData("offsetof(struct bpf_test_run_opts, retval)", typeof(BpfTestRunOptions), nameof(BpfTestRunOptions.ReturnValue))]
    [InlineData("offsetof(struct bpf_test_run_opts, repeat)", typeof(BpfTestRunOptions), nameof(BpfTestRunOptions.Repeat))]
    [InlineData("offsetof(struct bpf_test_run_opts, duration)", typeof(BpfTestRunOptions), nameof(BpfTestRunOptions.Duration))]
    [InlineData("offsetof(struct bpf_test_run_opts, flags)", typeof(BpfTestRunOptions), nameof(BpfTestRunOptions.Flags))]
    [InlineData("offsetof(struct bpf_test_run_opts, cpu)", typeof(BpfTestRunOptions), nameof(BpfTestRunOptions.Cpu))]
    [InlineData("offsetof(struct bpf_test_run_opts, batch_size)", typeof(BpfTestRunOptions), nameof(BpfTestRunOptions.BatchSize))]
    [InlineData("offsetof(struct bpf_link_create_opts, flags)", typeof(BpfLinkCreateOptions), nameof(BpfLinkCreateOptions.Flags))]
    public void Layout_MatchesLibbpf(string fact, Type type, string? field)
    {
        long managed = field is null ? Marshal.SizeOf(type) : Marshal.OffsetOf(type, field);
        Assert.Equal(Facts.Value[fact], managed);
    }

    [Fact]
    public void Constants_MatchTheKernelHeaders()
    {
        Assert.Equal((long)BpfAttachType.Xdp, Facts.Value["BPF_XDP"]);
        Assert.Equal((long)XdpAttachMode.Generic, Facts.Value["XDP_FLAGS_SKB_MODE"]);
        Assert.Equal((long)XdpAttachMode.Native, Facts.Value["XDP_FLAGS_DRV_MODE"]);
        Assert.Equal((long)Interop.Libc.Protection.Read, Facts.Value["PROT_READ"]);
        Assert.Equal((long)Interop.Libc.Protection.Write, Facts.Value["PROT_WRITE"]);
        Assert.Equal((long)Interop.Libc.MapMode.Shared, Facts.Value["MAP_SHARED"]);
    }

    /// <summary>The link options are read only up to their size, which must reach past the flags.</summary>
    [Fact]
    public void LinkCreateOptions_CoverTheFlags() =>
        Assert.True(Marshal.SizeOf<BpfLinkCreateOptions>() >= Facts.Value["offsetof(struct bpf_link_create_opts, flags)"] + 4);

    [Fact]
    public void OpenOfANonElfObject_ThrowsBpfException()
    {
        BpfException e = Assert.Throws<BpfException>(() => BpfObject.Open("not an ELF object"u8));
        Assert.Equal("bpf_object__open_mem", e.Call);
    }

    private static Dictionary<string, long> Probe()
    {
        string[] facts =
        [
            "sizeof(struct bpf_test_run_opts)", "offsetof(struct bpf_test_run_opts, data_in)", "offsetof(struct bpf_test_run_opts, data_out)",
            "offsetof(struct bpf_test_run_opts, data_size_in)", "offsetof(struct bpf_test_run_opts, data_size_out)",
            "offsetof(struct bpf_test_run_opts, ctx_in)", "offsetof(struct bpf_test_run_opts, ctx_out)",
            "offsetof(struct bpf_test_run_opts, ctx_size_in)", "offsetof(struct bpf_test_run_opts, ctx_size_out)",
            "offsetof(struct bpf_test_run_opts, retval)", "offsetof(struct bpf_test_run_opts, repeat)",
            "offsetof(struct bpf_test_run_opts, duration)", "offsetof(struct bpf_test_run_opts, flags)",
            "offsetof(struct bpf_test_run_opts, cpu)", "offsetof(struct bpf_test_run_opts, batch_size)",
            "offsetof(struct bpf_link_create_opts, flags)", "BPF_XDP", "XDP_FLAGS_SKB_MODE", "XDP_FLAGS_DRV_MODE",
            "PROT_READ", "PROT_WRITE", "MAP_SHARED",
        ];
        return CProbe.Run("#include <sys/mman.h>\n#include <linux/if_link.h>\n#include <bpf/bpf.h>\n", facts);
    }
}
