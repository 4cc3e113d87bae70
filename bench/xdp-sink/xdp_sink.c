// A one-line XDP program for the raw-frame benchmark (scripts/bench/xdp-netns.sh), built twice:
//   VERDICT=XDP_PASS on the generator's veth, so frames the server's XDP program bounces with XDP_TX reach
//                    it (a veth delivers XDP frames only to a peer that runs XDP itself);
//   VERDICT=XDP_DROP on the server's veth, to measure what the generator offers from one core when nothing answers.
#include <linux/bpf.h>

#ifndef VERDICT
#define VERDICT XDP_PASS
#endif

__attribute__((section("xdp"), used))
int xdp_sink(struct xdp_md *ctx)
{
    return VERDICT;
}

__attribute__((section("license"), used))
char LICENSE[] = "GPL";
