// A one-line XDP program for the raw-frame benchmark (scripts/bench/xdp-netns.sh): on the server's veth it drops
// every frame, so the generator's sent rate with nothing answering is what it offers from one core (the ceiling).
// The generator's own end runs fastntp-load's reply sink (loadtest/FastNtp.LoadTest/Bpf/reply_sink.c).
#include <linux/bpf.h>

__attribute__((section("xdp"), used))
int xdp_drop(struct xdp_md *ctx)
{
    return XDP_DROP;
}

__attribute__((section("license"), used))
char LICENSE[] = "GPL";
