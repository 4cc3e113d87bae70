using System.Runtime.InteropServices;

namespace FastNtp.Interop;

internal static partial class Interop
{
    internal static partial class Bpf
    {
        /// <summary>The part of enum bpf_attach_type the bindings use.</summary>
        internal enum BpfAttachType : int
        {
            Xdp = 37,
        }

        /// <summary>
        /// struct bpf_link_create_opts up to its flags; libbpf reads only the first <see cref="Size"/> octets, so
        /// the fields after flags, which XDP does not use, need not exist here.
        /// </summary>
        [StructLayout(LayoutKind.Sequential)]
        internal struct BpfLinkCreateOptions
        {
            public nuint Size;
            public uint Flags;
        }

        /// <summary>BPF_F_TEST_XDP_LIVE_FRAMES: XDP_TX and XDP_REDIRECT transmit the frame for real (kernel 5.18+).</summary>
        internal const uint TestRunXdpLiveFrames = 1u << 1;

        /// <summary>struct bpf_test_run_opts (libbpf 1.1).</summary>
        [StructLayout(LayoutKind.Sequential)]
        internal unsafe struct BpfTestRunOptions
        {
            public nuint Size;
            public byte* DataIn;
            public byte* DataOut;
            public uint DataSizeIn;
            /// <summary>In: room in <see cref="DataOut"/>; out: octets written.</summary>
            public uint DataSizeOut;
            public void* ContextIn;
            public void* ContextOut;
            public uint ContextSizeIn;
            public uint ContextSizeOut;
            public uint ReturnValue;
            public int Repeat;
            public uint Duration;
            public uint Flags;
            public uint Cpu;
            public uint BatchSize;
        }
    }
}
