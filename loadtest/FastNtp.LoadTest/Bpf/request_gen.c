// SPDX-License-Identifier: GPL-2.0
/*
 * fastntp-load's XDP request generator: run by BPF_PROG_RUN in live-frames mode (BPF_F_TEST_XDP_LIVE_FRAMES), once
 * per iteration, on a page the kernel fills with the first frame once and then recycles with whatever the previous
 * iteration left in it, or a peer that answered with XDP_TX wrote into it (the page comes back to the run's pool
 * after the reply is dropped): so every run writes the whole frame. It paces itself: an iteration with a request due
 * (the entry's rate since its start) writes request number `next` and redirects it out of the generator's interface
 * (no skb is built, the frame reaches the peer veth as an xdp_frame); one with nothing due drops it, which only
 * recycles the page. Like the packet sender it sends in bursts: nothing goes until `burst` requests are due (or the
 * entry's last ones), then every run sends until it has caught up, so the peer's NAPI is woken once per burst rather
 * than once per request. Requests more than max_backlog behind (the generator did not run, e.g. between two
 * BPF_PROG_RUN calls) are skipped, not sent in a burst the peer's ring could not hold.
 *
 * request_gen (plain NTP) stamps the template as RawRequestFrames.Write does: client c = sequence mod clients has
 * address first_client + c mod addresses and port first_port + c / addresses; the transmit timestamp is
 * (high << 32) | sequence, high being the run's tag and the entry (what the reply sink checks). The checksums are
 * computed from the template's (whose varying fields are zero), never from what a recycled page holds.
 *
 * nts_request_gen (NTS) copies frame `sequence mod frames` of nts_frames, the entry's requests RawNtsRequestPool
 * built and sealed (checksums and transmit timestamps included), which the generator writes between runs only.
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/udp.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#define NTP_TRANSMIT_OFFSET 40
/* Ethernet, IPv6 and UDP headers and the 48-octet request: the longest template. */
#define MAX_FRAME_LENGTH 112
/* The longest NTS request frame: a 1500-octet MTU's. */
#define NTS_MAX_FRAME_LENGTH 1514

/* Set by the generator before load (.rodata); RequestGenConfig in XdpRequestSender.cs mirrors it. */
struct gen_config {
	__u32 ifindex;		/* where frames go: the generator's interface */
	__u32 first_client;	/* low 32 bits of the first client address */
	__u32 addresses;
	__u32 clients;
	__u32 first_port;
	__u16 ip_checksum;	/* the template's IPv4 header checksum (host order) */
	__u16 udp_checksum;	/* the template's UDP checksum (host order) */
	__u8 ipv6;
	__u8 pad[3];
	__u32 frame_length;
	__u8 template[MAX_FRAME_LENGTH];	/* the request with the varying fields zero */
};

/* One timeline entry's schedule and progress, shared with the generator (mmap); written by it only between runs. */
struct gen_state {
	__u64 start_ns;		/* bpf_ktime_get_ns (CLOCK_MONOTONIC) of the entry's start */
	__u64 end_ns;
	__u64 rate;		/* requests per second */
	__u64 limit;		/* requests the entry offers */
	__u64 max_backlog;
	__u64 sent;
	__u64 skipped;
	__u32 high;		/* upper half of the transmit timestamps: the run's tag and the entry */
	__u32 next;		/* sequence number of the next request */
	__u32 frames;		/* NTS: the entry's requests in nts_frames */
	__u32 burst;		/* requests due before a burst starts (0 or 1: each as it falls due) */
	__u32 bursting;		/* 1 while a burst is being sent */
	__u32 pad;
};

/* One pre-built NTS request frame; NtsRequestFrame in XdpRequestSender.cs mirrors it. */
struct nts_frame {
	__u32 length;
	__u8 bytes[NTS_MAX_FRAME_LENGTH];
};

const volatile struct gen_config config = {};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_MMAPABLE);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct gen_state);
} gen_state SEC(".maps");

/* The entry's NTS requests; sized by the generator before load (one element for a plain run). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_MMAPABLE);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct nts_frame);
} nts_frames SEC(".maps");

static __always_inline __u16 fold(__u64 sum)
{
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return (__u16)((sum & 0xffff) + (sum >> 16));
}

/* The entry's state when a request is due now (skipping what lies more than the backlog behind), else null. */
static __always_inline struct gen_state *due_request(void)
{
	__u32 zero = 0;
	struct gen_state *state = bpf_map_lookup_elem(&gen_state, &zero);
	if (!state)
		return 0;
	__u64 now = bpf_ktime_get_ns();
	if (now < state->start_ns)
		return 0;
	if (now > state->end_ns)
		now = state->end_ns;
	/* Whole seconds apart, so the product cannot overflow at any rate a generator reaches. */
	__u64 elapsed = now - state->start_ns;
	__u64 due = elapsed / 1000000000 * state->rate + elapsed % 1000000000 * state->rate / 1000000000;
	if (due > state->limit)
		due = state->limit;
	__u64 done = state->sent + state->skipped;
	if (done >= due)
		return 0;
	__u64 pending = due - done;
	if (pending > state->max_backlog) {
		state->skipped += pending - state->max_backlog;
		pending = state->max_backlog;
	}
	if (!state->bursting) {
		if (pending < state->burst && due < state->limit)
			return 0;
		state->bursting = 1;
	}
	/* This run sends the last one due: the burst ends. */
	if (pending == 1)
		state->bursting = 0;
	return state;
}

/* Sets the page's frame to `length` octets. */
static __always_inline int resize(struct xdp_md *ctx, __u32 length)
{
	int grow = (int)length - (int)(ctx->data_end - ctx->data);
	return grow != 0 ? bpf_xdp_adjust_tail(ctx, grow) : 0;
}

SEC("xdp")
int request_gen(struct xdp_md *ctx)
{
	struct gen_state *state = due_request();
	if (!state)
		return XDP_DROP;

	/* The page holds whatever its last user left: the template goes in whole, at its length. */
	__u32 length = config.frame_length;
	if (length > MAX_FRAME_LENGTH)
		return XDP_ABORTED;
	if (resize(ctx, length) != 0)
		return XDP_ABORTED;
	if (bpf_xdp_store_bytes(ctx, 0, (void *)config.template, length) != 0)
		return XDP_ABORTED;
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	__u32 ip_length = config.ipv6 ? sizeof(struct ipv6hdr) : sizeof(struct iphdr);
	struct udphdr *udp = data + sizeof(struct ethhdr) + ip_length;
	__u8 *ntp = (__u8 *)(udp + 1);
	if ((void *)(ntp + NTP_TRANSMIT_OFFSET + 8) > end)
		return XDP_ABORTED;

	/* One run executes on one CPU, and the generator never runs two at once: no other writer. */
	state->sent++;
	__u32 sequence = state->next++;
	__u32 client = sequence % config.clients;
	__u32 low = config.first_client + client % config.addresses;
	__u16 port = config.first_port + client / config.addresses;
	__u32 high = state->high;

	/* The low 32 bits of the source address: the last 4 octets of either header's source. */
	__u32 source_end = sizeof(struct ethhdr) + (config.ipv6 ? 8 + 16 : 12 + 4);
	__be32 *source_low = data + source_end - 4;
	if ((void *)(source_low + 1) > end)
		return XDP_ABORTED;
	*source_low = bpf_htonl(low);
	udp->source = bpf_htons(port);
	*(__be32 *)(ntp + NTP_TRANSMIT_OFFSET) = bpf_htonl(high);
	*(__be32 *)(ntp + NTP_TRANSMIT_OFFSET + 4) = bpf_htonl(sequence);

	/* RFC 1624 with every replaced word zero in the template. */
	__u64 address_sum = (low >> 16) + (low & 0xffff);
	__u64 udp_sum = (__u16)~config.udp_checksum + address_sum + port + (high >> 16) + (high & 0xffff) +
			(sequence >> 16) + (sequence & 0xffff);
	__u16 udp_check = ~fold(udp_sum);
	udp->check = bpf_htons(udp_check ? udp_check : 0xffff);
	if (!config.ipv6) {
		struct iphdr *ip = data + sizeof(struct ethhdr);
		if ((void *)(ip + 1) > end)
			return XDP_ABORTED;
		ip->check = bpf_htons((__u16)~fold((__u16)~config.ip_checksum + address_sum));
	}
	return bpf_redirect(config.ifindex, 0);
}

SEC("xdp")
int nts_request_gen(struct xdp_md *ctx)
{
	struct gen_state *state = due_request();
	if (!state)
		return XDP_DROP;
	if (state->frames == 0)
		return XDP_ABORTED;
	__u32 index = state->next % state->frames;
	struct nts_frame *frame = bpf_map_lookup_elem(&nts_frames, &index);
	if (!frame)
		return XDP_ABORTED;
	__u32 length = frame->length;
	if (length == 0 || length > NTS_MAX_FRAME_LENGTH)
		return XDP_ABORTED;
	if (resize(ctx, length) != 0)
		return XDP_ABORTED;
	if (bpf_xdp_store_bytes(ctx, 0, frame->bytes, length) != 0)
		return XDP_ABORTED;
	/* One run executes on one CPU, and the generator never runs two at once: no other writer. */
	state->sent++;
	state->next++;
	return bpf_redirect(config.ifindex, 0);
}

char LICENSE[] SEC("license") = "GPL";
