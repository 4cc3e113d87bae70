// SPDX-License-Identifier: GPL-2.0
/*
 * fastntp-load's reply sink: attached to the generator's interface in raw-frame mode, it judges every reply from the
 * target in the driver, counts it per CPU under the timeline entry the generator is in, and drops it; one valid
 * reply in (sample_mask + 1) goes up to the generator's packet socket, which verifies it fully (checksums, NTP, NTS
 * authentication) and times it. Replies are counted at driver speed, not at the ~3.4 us an skb costs per reply.
 *
 * The requests' transmit timestamps (echoed as the origin) carry: bits 63-40 the run's tag, 39-32 the timeline
 * entry, 31-0 the sequence number, whose remainder modulo the client count names the client that sent it.
 * Everything that is not UDP from the target's address and port goes to the kernel untouched (ARP, NTS-KE's TCP).
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/udp.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#define NTP_HEADER_LENGTH 48
#define NTS_UID_TYPE 0x0104
/* The generator's unique identifiers: 32 octets, the last 8 the request's transmit timestamp. */
#define NTS_UID_FIELD_LENGTH 36
#define NTS_UID_TRANSMIT_OFFSET (4 + 24)
/* "NTSN", the NTS NAK kiss code. */
#define NTS_NAK 0x4e54534e

/* Why a reply is invalid; ReplySinkReason in ReplySink.cs lists the same. */
enum reason {
	REASON_MALFORMED,	/* IPv4 options or fragment, bad IPv4 header checksum, lengths that disagree, truncated */
	REASON_WRONG_CLIENT,	/* not to the client (address and port) that sent the request its origin names */
	REASON_BAD_LENGTH,	/* NTP payload outside [min_length, max_length] */
	REASON_BAD_MODE,
	REASON_BAD_VERSION,
	REASON_BAD_STRATUM,
	REASON_ZERO_TIMESTAMP,
	REASON_RECEIVE_AFTER_TRANSMIT,
	REASON_UNKNOWN_ORIGIN,	/* not this run's tag */
	REASON_NTS_UID,		/* NTS: the first field is not a unique identifier echoing the origin */
	REASON_NTS_NAK,
	REASONS,
};

/* Set by the generator before load (.rodata); ReplySinkConfig in ReplySink.cs mirrors it. */
struct sink_config {
	__u8 target_address[16];	/* IPv4 in the first 4 octets */
	__u8 client_prefix[12];		/* IPv6: the first 96 bits of every client address */
	__u32 first_client;		/* low 32 bits of the first client address */
	__u32 addresses;
	__u32 clients;
	__u32 first_port;
	__u32 tag;			/* origin bits 63-40 */
	__u32 sample_mask;		/* sequence & mask == 0: passed up */
	__u32 min_length;		/* NTP payload octets */
	__u32 max_length;
	__u16 target_port;
	__u8 ipv6;
	__u8 nts;
};

struct sink_counts {
	__u64 valid;
	__u64 sampled;
	__u64 kiss;
	__u64 late;
	__u64 invalid[REASONS];
};

const volatile struct sink_config config = {};

/* The timeline entry the generator is in; replies count under it. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} sink_entry SEC(".maps");

/* One element per timeline entry; max_entries is set by the generator. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct sink_counts);
} sink_counts SEC(".maps");

struct ntp_packet {
	__u8 flags;
	__u8 stratum;
	__s8 poll;
	__s8 precision;
	__be32 root_delay;
	__be32 root_dispersion;
	__be32 reference_id;
	__be64 reference_time;
	__be64 origin_time;
	__be64 receive_time;
	__be64 transmit_time;
};

static __always_inline int ipv4_header_ok(const struct iphdr *ip)
{
	const __u16 *w = (const __u16 *)ip;
	__u32 sum = 0;
#pragma unroll
	for (int i = 0; i < 10; i++)
		sum += w[i];
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return sum == 0xffff && (ip->frag_off & bpf_htons(0x3fff)) == 0;
}

static __always_inline int count(struct sink_counts *c, int reason)
{
	if (reason >= 0 && reason < REASONS)
		c->invalid[reason]++;
	return XDP_DROP;
}

SEC("xdp")
int reply_sink(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct udphdr *udp;
	__u32 client_low, ip_payload;
	int ip_ok;

	if ((void *)(eth + 1) > end)
		return XDP_PASS;
	if (!config.ipv6) {
		struct iphdr *ip = (void *)(eth + 1);

		if (eth->h_proto != bpf_htons(ETH_P_IP) || (void *)(ip + 1) > end)
			return XDP_PASS;
		if (ip->protocol != IPPROTO_UDP || ip->saddr != *(const volatile __be32 *)config.target_address)
			return XDP_PASS;
		udp = (void *)(ip + 1);
		if ((void *)(udp + 1) > end)
			return XDP_PASS;
		ip_ok = ip->ihl == 5 && ipv4_header_ok(ip);
		client_low = bpf_ntohl(ip->daddr);
		ip_payload = (__u32)bpf_ntohs(ip->tot_len) - sizeof(*ip);
	} else {
		struct ipv6hdr *ip = (void *)(eth + 1);

		if (eth->h_proto != bpf_htons(ETH_P_IPV6) || (void *)(ip + 1) > end)
			return XDP_PASS;
		if (ip->nexthdr != IPPROTO_UDP)
			return XDP_PASS;
#pragma unroll
		for (int i = 0; i < 16; i++)
			if (ip->saddr.in6_u.u6_addr8[i] != config.target_address[i])
				return XDP_PASS;
		udp = (void *)(ip + 1);
		if ((void *)(udp + 1) > end)
			return XDP_PASS;
		ip_ok = 1;
#pragma unroll
		for (int i = 0; i < 12; i++)
			ip_ok &= ip->daddr.in6_u.u6_addr8[i] == config.client_prefix[i];
		client_low = bpf_ntohl(ip->daddr.in6_u.u6_addr32[3]);
		ip_payload = bpf_ntohs(ip->payload_len);
	}
	if (udp->source != bpf_htons(config.target_port))
		return XDP_PASS;

	/* A reply of this run's: counted under the generator's current entry from here on. */
	__u32 zero = 0;
	__u32 *entry = bpf_map_lookup_elem(&sink_entry, &zero);
	if (!entry)
		return XDP_DROP;
	__u32 key = *entry;
	struct sink_counts *c = bpf_map_lookup_elem(&sink_counts, &key);
	if (!c)
		return XDP_DROP;

	__u32 udp_length = bpf_ntohs(udp->len);
	struct ntp_packet *ntp = (void *)(udp + 1);
	if (!ip_ok || udp_length != ip_payload || udp_length < sizeof(*udp) + NTP_HEADER_LENGTH ||
	    (void *)(ntp + 1) > end || (void *)udp + udp_length > end)
		return count(c, REASON_MALFORMED);

	__u32 port_index = (__u32)bpf_ntohs(udp->dest) - config.first_port;
	__u32 address_index = client_low - config.first_client;
	__u32 client = port_index * config.addresses + address_index;
	if (address_index >= config.addresses || port_index >= 65536 || client >= config.clients)
		return count(c, REASON_WRONG_CLIENT);

	__u32 payload = udp_length - sizeof(*udp);
	if (payload < config.min_length || payload > config.max_length)
		return count(c, REASON_BAD_LENGTH);
	if ((ntp->flags & 7) != 4)
		return count(c, REASON_BAD_MODE);
	if (((ntp->flags >> 3) & 7) != 4)
		return count(c, REASON_BAD_VERSION);

	__u64 origin = bpf_be64_to_cpu(ntp->origin_time);
	if ((__u32)(origin >> 40) != config.tag)
		return count(c, REASON_UNKNOWN_ORIGIN);
	if ((__u32)origin % config.clients != client)
		return count(c, REASON_WRONG_CLIENT);
	if (ntp->stratum == 0) {
		if (config.nts && ntp->reference_id == bpf_htonl(NTS_NAK))
			return count(c, REASON_NTS_NAK);
		c->kiss++;
		return XDP_DROP;
	}
	if (ntp->stratum > 15)
		return count(c, REASON_BAD_STRATUM);
	__u64 receive = bpf_be64_to_cpu(ntp->receive_time);
	__u64 transmit = bpf_be64_to_cpu(ntp->transmit_time);
	if (receive == 0 || transmit == 0)
		return count(c, REASON_ZERO_TIMESTAMP);
	if (receive > transmit)
		return count(c, REASON_RECEIVE_AFTER_TRANSMIT);
	if (config.nts) {
		__u8 *field = (void *)(ntp + 1);
		if (field + NTS_UID_FIELD_LENGTH > (__u8 *)end ||
		    *(__be16 *)field != bpf_htons(NTS_UID_TYPE) || *(__be16 *)(field + 2) != bpf_htons(NTS_UID_FIELD_LENGTH) ||
		    *(__u64 *)(field + NTS_UID_TRANSMIT_OFFSET) != ntp->origin_time)
			return count(c, REASON_NTS_UID);
	}
	if (((origin >> 32) & 0xff) != key) {
		c->late++;
		return XDP_DROP;
	}
	c->valid++;
	if (((__u32)origin & config.sample_mask) != 0)
		return XDP_DROP;
	c->sampled++;
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
