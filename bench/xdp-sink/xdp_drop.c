// The XDP program of the generator-ceiling runs (scripts/bench/xdp-netns.sh): on the server's veth it drops every UDP
// datagram to port 123, so the generator's sent rate with nothing answering is what it offers from one core, and
// passes everything else (ARP, neighbour discovery, NTS-KE's TCP before an NTS run). The generator's own end runs
// fastntp-load's reply sink (loadtest/FastNtp.LoadTest/Bpf/reply_sink.c).
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/udp.h>
#include <bpf/bpf_endian.h>

__attribute__((section("xdp"), used))
int xdp_drop(struct xdp_md *ctx)
{
    void *data = (void *)(long)ctx->data;
    void *end = (void *)(long)ctx->data_end;
    struct ethhdr *eth = data;
    struct udphdr *udp;

    if ((void *)(eth + 1) > end)
        return XDP_PASS;
    if (eth->h_proto == bpf_htons(ETH_P_IP)) {
        struct iphdr *ip = (void *)(eth + 1);
        if ((void *)(ip + 1) > end || ip->protocol != IPPROTO_UDP)
            return XDP_PASS;
        udp = (void *)ip + ip->ihl * 4;
    } else if (eth->h_proto == bpf_htons(ETH_P_IPV6)) {
        struct ipv6hdr *ip = (void *)(eth + 1);
        if ((void *)(ip + 1) > end || ip->nexthdr != IPPROTO_UDP)
            return XDP_PASS;
        udp = (void *)(ip + 1);
    } else {
        return XDP_PASS;
    }
    if ((void *)(udp + 1) > end)
        return XDP_PASS;
    return udp->dest == bpf_htons(123) ? XDP_DROP : XDP_PASS;
}

__attribute__((section("license"), used))
char LICENSE[] = "GPL";
