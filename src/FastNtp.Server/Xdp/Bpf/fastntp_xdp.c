// SPDX-License-Identifier: GPL-2.0
/*
 * FastNtp's driver path: answers plain NTP client requests (48 octets, versions 1-4) in place with XDP_TX,
 * drops what the responder never answers, redirects requests with extension fields (NTS) to FastNtp's AF_XDP
 * socket for the queue where it has one (their receive time in the frame's metadata), and passes everything else
 * to the kernel, where the socket engine applies the same rules. The rules mirror
 * FastNtp.Protocol.Server.Responder; the client policy (fastntp_policy.h) mirrors
 * FastNtp.Protocol.Policy.ClientPolicy and is applied here to what is answered in place and to what is
 * redirected alike.
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/udp.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include "fastntp_xdp.h"

#define NTP_HEADER_LENGTH 48
/* ProtocolConstants.MaxRequestLength: a longer request is dropped unread. */
#define MAX_REQUEST_LENGTH 1472
/* RFC 7822 extension fields: type, length of the whole field, value padded to 32 bits; at least 16 octets. */
#define FIELD_MIN_LENGTH 16
#define MAX_FIELDS ((MAX_REQUEST_LENGTH - NTP_HEADER_LENGTH) / FIELD_MIN_LENGTH)
#define NTS_COOKIE_FIELD 0x0204
/* Legacy symmetric-key MACs (MD5, SHA-1) after the fields. */
#define MD5_MAC_LENGTH 20
#define SHA1_MAC_LENGTH 24
#define NTP_PORT 123
#define REPLY_HOP_LIMIT 64
#define NANOSECONDS_PER_SECOND 1000000000ULL
#define UNIX_EPOCH_NTP_SECONDS 2208988800ULL

/* FastNtp.Protocol.Server.DropReason values this program decides. */
enum drop_reason {
	DROP_TOO_SHORT = 1,
	DROP_UNSUPPORTED_VERSION = 2,
	DROP_RESERVED_MODE = 3,
	DROP_SYMMETRIC_MODE = 4,
	DROP_SERVER_MODE = 5,
	DROP_CONTROL_MODE = 6,
	DROP_PRIVATE_MODE = 7,
};

const volatile struct fastntp_config config = {};

#include "fastntp_policy.h"

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_MMAPABLE);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct fastntp_state);
} fastntp_state SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct fastntp_counters);
} fastntp_counters SEC(".maps");

/* AF_XDP: each interface's slot by its index, and the socket FastNtp reads a slot's queue from. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, FASTNTP_MAX_INTERFACES);
	__type(key, __u32);
	__type(value, __u32);
} fastntp_xsk_slots SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_XSKMAP);
	__uint(max_entries, FASTNTP_MAX_INTERFACES * FASTNTP_MAX_QUEUES);
	__type(key, __u32);
	__type(value, __u32);
} fastntp_xsks SEC(".maps");

/* Not an XDP action: a request FastNtp answers in C# (extension fields, NTS), see to_fastntp. */
#define TO_FASTNTP 0x100

struct ntp_packet {
	__u8 flags; /* leap, version, mode */
	__u8 stratum;
	__s8 poll;
	__s8 precision;
	__be32 root_delay;
	__be32 root_dispersion;
	__u8 reference_id[4];
	__be64 reference_time;
	__be64 origin_time;
	__be64 receive_time;
	__be64 transmit_time;
};

/* The verdict of Responder.Validate for a request of at least 48 octets, from its first octet alone. */
static __always_inline int validate(__u8 first, __u16 source_port)
{
	__u8 version = (first >> 3) & 7;
	__u8 mode = first & 7;

	if (version == 0 || version > 4)
		return DROP_UNSUPPORTED_VERSION;
	switch (mode) {
	case 3:
		return 0;
	case 0:
		/* NTPv1 has no mode: a request from an ephemeral port is a client's. */
		return version == 1 && source_port != NTP_PORT ? 0 : DROP_RESERVED_MODE;
	case 1:
	case 2:
		return DROP_SYMMETRIC_MODE;
	case 4:
	case 5:
		return DROP_SERVER_MODE;
	case 6:
		return DROP_CONTROL_MODE;
	default:
		return DROP_PRIVATE_MODE;
	}
}

/* NtpTimestamp.FromUnixNanoseconds: whole seconds, fraction rounded up so it reads back exactly. */
static __always_inline __u64 ntp_time(__u64 unix_ns)
{
	__u64 seconds = unix_ns / NANOSECONDS_PER_SECOND;
	__u64 nanos = unix_ns - seconds * NANOSECONDS_PER_SECOND;
	__u64 fraction = ((nanos << 32) + NANOSECONDS_PER_SECOND - 1) / NANOSECONDS_PER_SECOND;

	return (((seconds + UNIX_EPOCH_NTP_SECONDS) & 0xffffffffULL) << 32) | fraction;
}

/* ServerSnapshot.RootDispersionAt: grown by 15 ppm of the age since the reference time, in short format. */
static __always_inline __u32 root_dispersion_at(const struct fastntp_slot *slot, __u64 now)
{
	__s64 dispersion = slot->root_dispersion;
	__s64 age = (__s64)(now - slot->reference_time);

	if (slot->reference_time != 0 && age > 0) {
		__u64 a = (__u64)age;
		__s64 growth = (__s64)((a / 1000000) * 15 + (a % 1000000) * 15 / 1000000);

		dispersion = dispersion > 0x7fffffffffffffffLL - growth ? 0x7fffffffffffffffLL : dispersion + growth;
	}
	if (dispersion <= 0)
		return 0;
	__u64 units = (__u64)dispersion >> 16;
	return units > 0xffffffffULL ? 0xffffffff : (__u32)units;
}

static __always_inline __u32 sum16(const void *data, int words, __u32 sum)
{
	const __u16 *w = data;
#pragma unroll
	for (int i = 0; i < words; i++)
		sum += w[i];
	return sum;
}

static __always_inline __u16 fold(__u32 sum)
{
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return (__u16)sum;
}

/* The ones' complement sum over UDP header and the 48-octet payload, its checksum field included. */
static __always_inline __u32 udp_sum(const struct udphdr *udp, __u32 pseudo)
{
	return sum16(udp, (sizeof(*udp) + NTP_HEADER_LENGTH) / 2, pseudo);
}

static __always_inline __u16 finish_udp_checksum(__u32 sum)
{
	__u16 checksum = ~fold(sum);
	return checksum ? checksum : 0xffff;
}

static __always_inline int ipv4_unicast(__be32 address)
{
	__u32 a = bpf_ntohl(address);
	return a != 0 && a != 0xffffffff && (a >> 28) != 0xe && (a >> 24) != 127;
}

static __always_inline int ipv6_unicast(const struct in6_addr *a)
{
	__u32 any = a->in6_u.u6_addr32[0] | a->in6_u.u6_addr32[1] | a->in6_u.u6_addr32[2];
	int unspecified_or_loopback = any == 0 && (a->in6_u.u6_addr32[3] == 0 || a->in6_u.u6_addr32[3] == bpf_htonl(1));
	return a->in6_u.u6_addr8[0] != 0xff && !unspecified_or_loopback;
}

static __always_inline int listens_v4(__be32 address, __be16 port)
{
#pragma unroll
	for (int i = 0; i < FASTNTP_MAX_ENDPOINTS; i++) {
		const volatile struct fastntp_endpoint *e = &config.endpoints[i];
		if (e->family == 0)
			return 0;
		if (e->family == 4 && e->port == port &&
		    (e->wildcard || *(const volatile __be32 *)e->address == address))
			return 1;
	}
	return 0;
}

static __always_inline int listens_v6(const struct in6_addr *address, __be16 port)
{
#pragma unroll
	for (int i = 0; i < FASTNTP_MAX_ENDPOINTS; i++) {
		const volatile struct fastntp_endpoint *e = &config.endpoints[i];
		if (e->family == 0)
			return 0;
		if (e->family != 6 || e->port != port)
			continue;
		if (e->wildcard)
			return 1;
		const volatile __u32 *want = (const volatile __u32 *)e->address;
		if (want[0] == address->in6_u.u6_addr32[0] && want[1] == address->in6_u.u6_addr32[1] &&
		    want[2] == address->in6_u.u6_addr32[2] && want[3] == address->in6_u.u6_addr32[3])
			return 1;
	}
	return 0;
}

/* Copies the current slot; false when the publisher is gone or rewrote the slot while it was read. */
static __always_inline int read_state(struct fastntp_slot *slot, __u64 now_tai, __s64 *tai_offset)
{
	__u32 zero = 0;
	struct fastntp_state *state = bpf_map_lookup_elem(&fastntp_state, &zero);

	if (!state)
		return 0;
	__u64 heartbeat = *(volatile __u64 *)&state->heartbeat_tai_ns;
	/* Signed: a heartbeat written after this packet's receive time is fresh, not 584 years old. */
	if (heartbeat == 0 || (__s64)(now_tai - heartbeat) > (__s64)config.stale_after_ns)
		return 0;
	__u64 generation = *(volatile __u64 *)&state->generation;
	/*
	 * Compiler barriers keep the slot's loads between the two generation reads. The CPU keeps loads in
	 * order on x86-64 (TSO); clang 14 cannot emit BPF load-acquire for weaker memory models.
	 */
	barrier();
	__builtin_memcpy(slot, &state->slots[generation & 1], sizeof(*slot));
	barrier();
	*tai_offset = *(volatile __s64 *)&state->tai_offset_ns;
	return *(volatile __u64 *)&state->generation - generation <= 1;
}

static __always_inline void write_reply(struct ntp_packet *ntp, const struct fastntp_slot *slot, __u64 receive)
{
	__u8 version = ntp->flags & (7 << 3);

	ntp->flags = (__u8)(slot->leap << 6) | version | 4;
	ntp->stratum = slot->stratum;
	/* poll stays as the client sent it */
	ntp->precision = slot->precision;
	ntp->root_delay = bpf_htonl(slot->root_delay);
	ntp->root_dispersion = bpf_htonl(root_dispersion_at(slot, receive));
	__builtin_memcpy(ntp->reference_id, slot->reference_id, 4);
	ntp->reference_time = bpf_cpu_to_be64(slot->reference_time);
	ntp->origin_time = ntp->transmit_time;
	ntp->receive_time = bpf_cpu_to_be64(receive);
}

/* KissOfDeath.Write: unsynchronized, stratum 0, the code in the reference id, the client's transmit time echoed. */
static __always_inline void write_kiss(struct ntp_packet *ntp, int decision)
{
	__u8 version = ntp->flags & (7 << 3);
	__be64 client_transmit = ntp->transmit_time;

	ntp->flags = (__u8)(3 << 6) | version | 4;
	ntp->stratum = 0;
	if (ntp->poll < config.policy.kiss_poll)
		ntp->poll = config.policy.kiss_poll;
	ntp->precision = 0;
	ntp->root_delay = 0;
	ntp->root_dispersion = 0;
	__builtin_memcpy(ntp->reference_id, decision == POLICY_RATE_KISS ? "RATE" : "DENY", 4);
	ntp->reference_time = 0;
	ntp->origin_time = client_transmit;
	ntp->receive_time = client_transmit;
}

static __always_inline void count(__u64 *counter)
{
	(*counter)++;
}

static __always_inline void swap_mac(struct ethhdr *eth)
{
	__u8 tmp[ETH_ALEN];

	__builtin_memcpy(tmp, eth->h_source, ETH_ALEN);
	__builtin_memcpy(eth->h_source, eth->h_dest, ETH_ALEN);
	__builtin_memcpy(eth->h_dest, tmp, ETH_ALEN);
}

/* What an answer needs besides the request: the state and the receive time taken on entry. */
struct answer {
	struct fastntp_slot slot;
	__s64 tai_offset;
	__u64 receive;
};

/* Validates the NTP payload and reads the state; XDP_TX means the answer is ready to be written. */
static __always_inline int decide(struct fastntp_counters *counters, struct ntp_packet *ntp, void *end,
				  __u32 payload_length, __u16 source_port, __u64 rx_tai, struct answer *answer)
{
	if (payload_length < NTP_HEADER_LENGTH) {
		count(&counters->dropped[DROP_TOO_SHORT]);
		return XDP_DROP;
	}
	if ((void *)(ntp + 1) > end)
		return XDP_PASS;
	int reason = validate(ntp->flags, source_port);
	if (reason) {
		count(&counters->dropped[reason & (FASTNTP_DROP_REASONS - 1)]);
		return XDP_DROP;
	}
	if (payload_length > NTP_HEADER_LENGTH)
		return TO_FASTNTP;
	if (!read_state(&answer->slot, rx_tai, &answer->tai_offset) || answer->slot.leap_window) {
		count(&counters->passed_stale);
		return XDP_PASS;
	}
	answer->receive = ntp_time(rx_tai - answer->tai_offset);
	return XDP_TX;
}

/*
 * Whether a request with extension fields passes the checks FastNtp makes before its policy
 * (ExtensionFieldReader, Responder.ValidateLayout: at most MAX_REQUEST_LENGTH, NTPv4, well-formed fields and
 * nothing after them), and whether it carries an NTS cookie. FastNtp drops and counts the others unjudged.
 */
static __always_inline int fields_reach_policy(const struct ntp_packet *ntp, void *end, __u32 payload_length, int *cookie)
{
	const __u8 *fields = (const __u8 *)(ntp + 1);
	__u32 total = payload_length - NTP_HEADER_LENGTH;
	__u32 offset = 0;

	*cookie = 0;
	if (payload_length > MAX_REQUEST_LENGTH || ((ntp->flags >> 3) & 7) != 4)
		return 0;
	for (int i = 0; i < MAX_FIELDS; i++) {
		__u32 remaining = total - offset;

		if (remaining == 0)
			return 1;
		if (remaining < FIELD_MIN_LENGTH || remaining == MD5_MAC_LENGTH || remaining == SHA1_MAC_LENGTH ||
		    offset > MAX_REQUEST_LENGTH)
			return 0;
		const __u8 *field = fields + offset;
		if ((void *)(field + 4) > end)
			return 0;
		__u32 length = ((__u32)field[2] << 8) | field[3];
		if (length < FIELD_MIN_LENGTH || (length & 3) || length > remaining)
			return 0;
		if ((((__u32)field[0] << 8) | field[1]) == NTS_COOKIE_FIELD)
			*cookie = 1;
		offset += length;
	}
	return offset == total;
}

/* Adds one chunk of a constant size (a multiple of 4, at most 512, as bpf_csum_diff takes) to the sum. */
static __always_inline int add_chunk(const __u8 *p, void *end, __u32 size, __s64 *sum)
{
	if ((void *)(p + size) > end)
		return 0;
	*sum = bpf_csum_diff(0, 0, (__be32 *)p, size, (__wsum)*sum);
	return *sum >= 0;
}

/*
 * Whether a UDP datagram of any length up to MAX_REQUEST_LENGTH plus its header verifies, as UdpHeader.Verify
 * decides: zero means no checksum over IPv4 and is invalid over IPv6. The length of a datagram with
 * well-formed fields is a multiple of 4, so it splits into power-of-two chunks, each starting where the
 * length's higher bits end (so the verifier sees one offset per chunk, whatever came before).
 */
static __always_inline int datagram_checksum_valid(const struct udphdr *udp, void *end, __u32 length, __u32 pseudo, int ipv6)
{
	const __u8 *p = (const __u8 *)udp;
	__s64 sum = pseudo;

	if (udp->check == 0)
		return !ipv6;
	if ((length & 3) || length > MAX_REQUEST_LENGTH + sizeof(*udp))
		return 0;
	if ((length & 1024) && (!add_chunk(p, end, 512, &sum) || !add_chunk(p + 512, end, 512, &sum)))
		return 0;
#pragma unroll
	for (__u32 size = 512; size >= 4; size >>= 1) {
		if ((length & size) && !add_chunk(p + (length & 2047 & ~(2 * size - 1)), end, size, &sum))
			return 0;
	}
	return fold((__u32)sum) == 0xffff;
}

/*
 * The policy for a request FastNtp answers in C# (NTS, other extension fields), decided here before the
 * redirect so that one table serves every queue. Only a request that passes FastNtp's own checks is judged
 * (fields and checksums); the rest reach FastNtp unjudged, as the socket engine would leave them.
 */
static __always_inline int judge_for_fastntp(const struct ntp_packet *ntp, void *end, const struct udphdr *udp,
					     __u32 udp_length, __u32 pseudo, int ipv6, struct fastntp_client_key *client, int ipv4_client)
{
	int cookie;

	if (!config.policy.rate_limit && !config.policy.check_access && !config.policy.require_nts)
		return POLICY_ALLOW;
	if (!fields_reach_policy(ntp, end, udp_length - sizeof(*udp), &cookie) ||
	    !datagram_checksum_valid(udp, end, udp_length, pseudo, ipv6))
		return POLICY_ALLOW;
	return policy_decide(client, ipv4_client, config.policy.nts && cookie);
}

/* Counts a refusal; true when it is dropped rather than kissed. */
static __always_inline int refused_drop(struct fastntp_counters *counters, int decision)
{
	count(&counters->refused[policy_counter(decision) & (FASTNTP_POLICY_COUNTERS - 1)]);
	if (!is_kiss(decision))
		return 1;
	count(&counters->kod_sent);
	return 0;
}

/*
 * Fills the reply, the answer or the policy's kiss; the transmit time is read last, just before the checksum
 * that covers it.
 */
static __always_inline __u32 finish_reply(struct ntp_packet *ntp, struct udphdr *udp, const struct answer *answer,
					  __u32 pseudo, int decision)
{
	__be16 port = udp->source;

	udp->source = udp->dest;
	udp->dest = port;
	if (decision == POLICY_ALLOW) {
		write_reply(ntp, &answer->slot, answer->receive);
		ntp->transmit_time = bpf_cpu_to_be64(ntp_time(bpf_ktime_get_tai_ns() - answer->tai_offset));
	} else {
		write_kiss(ntp, decision);
	}
	udp->check = 0;
	return finish_udp_checksum(udp_sum(udp, pseudo));
}

/* The frame cut to its headers and a 48-octet payload, for a kiss; false when the kernel refuses. */
static __always_inline int cut_to_header(struct xdp_md *ctx, __u32 headers)
{
	return bpf_xdp_adjust_tail(ctx, (int)(headers + NTP_HEADER_LENGTH) - (int)(ctx->data_end - ctx->data)) == 0;
}

static __always_inline int handle_ipv4(struct xdp_md *ctx, struct fastntp_counters *counters, __u64 rx_tai)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct iphdr *ip = (void *)(eth + 1);
	struct udphdr *udp = (void *)(ip + 1);
	struct ntp_packet *ntp = (void *)(udp + 1);

	if ((void *)(udp + 1) > end)
		return XDP_PASS;
	/* Options, fragments and anything but UDP are the kernel's. */
	if (ip->version != 4 || ip->ihl != 5 || (ip->frag_off & bpf_htons(0x3fff)) || ip->protocol != IPPROTO_UDP)
		return XDP_PASS;
	if (!listens_v4(ip->daddr, udp->dest) || !ipv4_unicast(ip->daddr) || !ipv4_unicast(ip->saddr))
		return XDP_PASS;
	__u32 total = bpf_ntohs(ip->tot_len);
	__u32 udp_length = bpf_ntohs(udp->len);
	if (total > (__u32)(end - (void *)ip) || udp_length != total - sizeof(*ip) || udp_length < sizeof(*udp))
		return XDP_PASS;

	struct answer answer;
	int action = decide(counters, ntp, end, udp_length - sizeof(*udp), bpf_ntohs(udp->source), rx_tai, &answer);
	if (action != XDP_TX && action != TO_FASTNTP)
		return action;

	__u32 pseudo = (ip->saddr & 0xffff) + (ip->saddr >> 16) + (ip->daddr & 0xffff) + (ip->daddr >> 16) +
		       bpf_htons(IPPROTO_UDP) + udp->len;
	int header_valid = fold(sum16(ip, sizeof(*ip) / 2, 0)) == 0xffff;
	struct fastntp_client_key client;
	int decision;
	if (action == TO_FASTNTP) {
		decision = header_valid ? judge_for_fastntp(ntp, end, udp, udp_length, pseudo, 0, &client, client_v4(&client, ip->saddr))
					: POLICY_ALLOW;
		if (decision == POLICY_ALLOW) {
			count(&counters->passed_extensions);
			return TO_FASTNTP;
		}
		if (refused_drop(counters, decision) || !cut_to_header(ctx, sizeof(*eth) + sizeof(*ip) + sizeof(*udp)))
			return XDP_DROP;
		data = (void *)(long)ctx->data;
		end = (void *)(long)ctx->data_end;
		eth = data;
		ip = (void *)(eth + 1);
		udp = (void *)(ip + 1);
		ntp = (void *)(udp + 1);
		if ((void *)(ntp + 1) > end)
			return XDP_DROP;
		ip->tot_len = bpf_htons(sizeof(*ip) + sizeof(*udp) + NTP_HEADER_LENGTH);
		udp->len = bpf_htons(sizeof(*udp) + NTP_HEADER_LENGTH);
		pseudo = (ip->saddr & 0xffff) + (ip->saddr >> 16) + (ip->daddr & 0xffff) + (ip->daddr >> 16) +
			 bpf_htons(IPPROTO_UDP) + udp->len;
	} else {
		/* What the kernel would discard for a bad checksum gets no answer here either. */
		if (!header_valid || (udp->check != 0 && fold(udp_sum(udp, pseudo)) != 0xffff)) {
			count(&counters->passed_checksum);
			return XDP_PASS;
		}
		decision = policy_decide(&client, client_v4(&client, ip->saddr), 0);
		if (decision != POLICY_ALLOW && refused_drop(counters, decision))
			return XDP_DROP;
	}

	swap_mac(eth);
	__be32 address = ip->saddr;
	ip->saddr = ip->daddr;
	ip->daddr = address;
	ip->ttl = REPLY_HOP_LIMIT;
	ip->check = 0;
	ip->check = ~fold(sum16(ip, sizeof(*ip) / 2, 0));
	udp->check = finish_reply(ntp, udp, &answer, pseudo, decision);
	if (decision == POLICY_ALLOW)
		count(&counters->answered);
	return XDP_TX;
}

static __always_inline int handle_ipv6(struct xdp_md *ctx, struct fastntp_counters *counters, __u64 rx_tai)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct ipv6hdr *ip = (void *)(eth + 1);
	struct udphdr *udp = (void *)(ip + 1);
	struct ntp_packet *ntp = (void *)(udp + 1);

	if ((void *)(udp + 1) > end)
		return XDP_PASS;
	/* Extension headers (fragments included) and anything but UDP are the kernel's. */
	if (ip->version != 6 || ip->nexthdr != IPPROTO_UDP)
		return XDP_PASS;
	if (!listens_v6(&ip->daddr, udp->dest) || !ipv6_unicast(&ip->daddr) || !ipv6_unicast(&ip->saddr))
		return XDP_PASS;
	__u32 udp_length = bpf_ntohs(udp->len);
	if (bpf_ntohs(ip->payload_len) != udp_length || udp_length > (__u32)(end - (void *)udp) ||
	    udp_length < sizeof(*udp))
		return XDP_PASS;

	struct answer answer;
	int action = decide(counters, ntp, end, udp_length - sizeof(*udp), bpf_ntohs(udp->source), rx_tai, &answer);
	if (action != XDP_TX && action != TO_FASTNTP)
		return action;

	/* Source and destination swap places, which leaves their sum unchanged. */
	__u32 pseudo = sum16(&ip->saddr, 16, bpf_htons(IPPROTO_UDP) + udp->len);
	struct fastntp_client_key client;
	int decision;
	if (action == TO_FASTNTP) {
		decision = judge_for_fastntp(ntp, end, udp, udp_length, pseudo, 1, &client, client_v6(&client, &ip->saddr));
		if (decision == POLICY_ALLOW) {
			count(&counters->passed_extensions);
			return TO_FASTNTP;
		}
		if (refused_drop(counters, decision) || !cut_to_header(ctx, sizeof(*eth) + sizeof(*ip) + sizeof(*udp)))
			return XDP_DROP;
		data = (void *)(long)ctx->data;
		end = (void *)(long)ctx->data_end;
		eth = data;
		ip = (void *)(eth + 1);
		udp = (void *)(ip + 1);
		ntp = (void *)(udp + 1);
		if ((void *)(ntp + 1) > end)
			return XDP_DROP;
		ip->payload_len = bpf_htons(sizeof(*udp) + NTP_HEADER_LENGTH);
		udp->len = bpf_htons(sizeof(*udp) + NTP_HEADER_LENGTH);
		pseudo = sum16(&ip->saddr, 16, bpf_htons(IPPROTO_UDP) + udp->len);
	} else {
		/* A zero checksum is invalid over IPv6, and so is one that does not verify: the kernel drops both. */
		if (udp->check == 0 || fold(udp_sum(udp, pseudo)) != 0xffff) {
			count(&counters->passed_checksum);
			return XDP_PASS;
		}
		decision = policy_decide(&client, client_v6(&client, &ip->saddr), 0);
		if (decision != POLICY_ALLOW && refused_drop(counters, decision))
			return XDP_DROP;
	}

	swap_mac(eth);
	struct in6_addr address = ip->saddr;
	ip->saddr = ip->daddr;
	ip->daddr = address;
	ip->hop_limit = REPLY_HOP_LIMIT;
	udp->check = finish_reply(ntp, udp, &answer, pseudo, decision);
	if (decision == POLICY_ALLOW)
		count(&counters->answered);
	return XDP_TX;
}

/*
 * Hands the receive time over in the frame's metadata: a request may wait in the socket's RX ring for
 * milliseconds under load, and its reply must carry the time it arrived, not the time FastNtp picked it up.
 * Where the driver has no room for metadata the frame goes on unstamped and FastNtp reads its clock instead.
 */
static __always_inline void stamp(struct xdp_md *ctx, struct fastntp_counters *counters, __u64 rx_tai)
{
	if (bpf_xdp_adjust_meta(ctx, -(int)sizeof(struct fastntp_rx_meta)) == 0) {
		struct fastntp_rx_meta *meta = (void *)(long)ctx->data_meta;

		if ((void *)(meta + 1) <= (void *)(long)ctx->data) {
			meta->rx_tai_ns = rx_tai;
			meta->check = rx_tai ^ FASTNTP_RX_META_KEY;
			return;
		}
	}
	count(&counters->redirected_unstamped);
}

/* To the AF_XDP socket FastNtp has on this queue; to the kernel (and the socket engine) where it has none. */
static __always_inline int to_fastntp(struct xdp_md *ctx, struct fastntp_counters *counters, __u64 rx_tai)
{
	__u32 ifindex = ctx->ingress_ifindex;
	__u32 queue = ctx->rx_queue_index;
	__u32 *slot = bpf_map_lookup_elem(&fastntp_xsk_slots, &ifindex);

	if (!slot || *slot >= FASTNTP_MAX_INTERFACES || queue >= FASTNTP_MAX_QUEUES)
		return XDP_PASS;
	__u32 index = *slot * FASTNTP_MAX_QUEUES + queue;
	stamp(ctx, counters, rx_tai);
	return bpf_redirect_map(&fastntp_xsks, index, XDP_PASS);
}

static __always_inline int dispatch(struct xdp_md *ctx, struct fastntp_counters *counters, __u64 rx_tai, int action)
{
	return action == TO_FASTNTP ? to_fastntp(ctx, counters, rx_tai) : action;
}

SEC("xdp")
int fastntp_xdp(struct xdp_md *ctx)
{
	/* The receive time, as early as the program can take it. */
	__u64 rx_tai = bpf_ktime_get_tai_ns();
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	__u32 zero = 0;

	if ((void *)(eth + 1) > end)
		return XDP_PASS;
	/* Group-addressed frames (and VLAN tags, by their ethertype) go to the kernel. */
	if (eth->h_dest[0] & 1)
		return XDP_PASS;
	struct fastntp_counters *counters = bpf_map_lookup_elem(&fastntp_counters, &zero);
	if (!counters)
		return XDP_PASS;
	if (eth->h_proto == bpf_htons(ETH_P_IP))
		return dispatch(ctx, counters, rx_tai, handle_ipv4(ctx, counters, rx_tai));
	if (eth->h_proto == bpf_htons(ETH_P_IPV6))
		return dispatch(ctx, counters, rx_tai, handle_ipv6(ctx, counters, rx_tai));
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
