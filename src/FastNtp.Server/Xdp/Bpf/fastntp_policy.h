/*
 * The client policy in the driver: the access lists and per-client rate limit of
 * FastNtp.Protocol.Policy.ClientPolicy, decided the same way for the plain requests this program answers and
 * for the NTS and other extension-field requests it redirects to FastNtp's AF_XDP sockets. One table for
 * every CPU and queue, so each client's limit is exact however the NIC spreads its requests.
 * Included by fastntp_xdp.c after its config.
 */
#ifndef FASTNTP_POLICY_H
#define FASTNTP_POLICY_H

#define KOD_SHARE_ONE (1U << 16)

/* FastNtp.Protocol.Policy.PolicyDecision: each refusal's drop form follows its kiss form. */
enum policy_decision {
	POLICY_ALLOW = 0,
	POLICY_RATE_KISS,
	POLICY_RATE_DROP,
	POLICY_DENY_KISS,
	POLICY_DENY_DROP,
	POLICY_NTS_KISS,
	POLICY_NTS_DROP,
};

/* A rate-limit bucket's key: the client as FastNtp.Protocol.Policy.ClientAddress holds it (IPv4 mapped). */
struct fastntp_client_key {
	__u8 address[16];
};

/* A client's bucket in GCRA form, as ClientTable keeps it. */
struct fastntp_client {
	__s64 full_at; /* CLOCK_MONOTONIC when the bucket is full again */
	__u32 kiss_phase;
	__u32 reserved;
};

/* Values: 1 allows, 0 denies. The loader fills them from Access:Allow and Access:Deny. */
struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, FASTNTP_ACCESS_RULES);
	__type(key, struct fastntp_prefix_v4);
	__type(value, __u8);
} fastntp_access_v4 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, FASTNTP_ACCESS_RULES);
	__type(key, struct fastntp_prefix_v6);
	__type(value, __u8);
} fastntp_access_v6 SEC(".maps");

/* The loader sizes it to RateLimit:Entries. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 1);
	__type(key, struct fastntp_client_key);
	__type(value, struct fastntp_client);
} fastntp_clients SEC(".maps");

static __always_inline int is_kiss(int decision)
{
	return decision == POLICY_RATE_KISS || decision == POLICY_DENY_KISS || decision == POLICY_NTS_KISS;
}

/* PolicyDecisions.Counter: where a refusal is counted. */
static __always_inline int policy_counter(int decision)
{
	return decision <= POLICY_RATE_DROP ? decision - 1 : decision <= POLICY_DENY_DROP ? 2 : 3;
}

/* The client's key: an IPv4 address in its mapped form, an IPv6 address as it is. True for IPv4. */
static __always_inline int client_v4(struct fastntp_client_key *client, __be32 address)
{
	__builtin_memset(client->address, 0, 10);
	client->address[10] = 0xff;
	client->address[11] = 0xff;
	__builtin_memcpy(client->address + 12, &address, 4);
	return 1;
}

static __always_inline int client_v6(struct fastntp_client_key *client, const struct in6_addr *address)
{
	__builtin_memcpy(client->address, address, 16);
	/* ClientAddress takes ::ffff:a.b.c.d for the IPv4 client it names. */
	return address->in6_u.u6_addr32[0] == 0 && address->in6_u.u6_addr32[1] == 0 &&
	       address->in6_u.u6_addr32[2] == bpf_htonl(0xffff);
}

/* AccessList.IsAllowed: the longest matching prefix of the client's family decides. */
static __always_inline int access_allowed(const struct fastntp_client_key *client, int ipv4)
{
	__u8 *allow;

	if (ipv4) {
		struct fastntp_prefix_v4 key = { .prefix_length = 32 };
		__builtin_memcpy(key.address, client->address + 12, 4);
		allow = bpf_map_lookup_elem(&fastntp_access_v4, &key);
	} else {
		struct fastntp_prefix_v6 key = { .prefix_length = 128 };
		__builtin_memcpy(key.address, client->address, 16);
		allow = bpf_map_lookup_elem(&fastntp_access_v6, &key);
	}
	return allow ? *allow : config.policy.allow_unmatched;
}

/* ClientAddress.Mask: the first bits kept, the rest cleared. */
static __always_inline void mask_prefix(struct fastntp_client_key *client, int bits)
{
#pragma unroll
	for (int i = 0; i < 16; i++) {
		int keep = bits - i * 8;
		if (keep <= 0)
			client->address[i] = 0;
		else if (keep < 8)
			client->address[i] &= (__u8)(0xff << (8 - keep));
	}
}

/* The kiss form of a refusal, or its drop form: an unauthenticated kiss means nothing to an NTS client. */
static __always_inline int refuse(int kiss, int nts)
{
	return config.policy.refuse_with_kiss && !nts ? kiss : kiss + 1;
}

/*
 * ClientPolicy.Decide: access list, NTS requirement, then the client's token bucket (ClientTable.Take), with
 * the same kiss cycle; nts when the request carries an NTS cookie. Clients share buckets across CPUs without
 * a lock: two CPUs taking a token from one bucket at the same moment may both succeed.
 */
static __always_inline int policy_decide(struct fastntp_client_key *client, int ipv4, int nts)
{
	int refusal = POLICY_ALLOW;

	if (config.policy.check_access && !access_allowed(client, ipv4))
		refusal = refuse(POLICY_DENY_KISS, nts);
	else if (config.policy.require_nts && !nts)
		refusal = refuse(POLICY_NTS_KISS, nts);
	if (!config.policy.rate_limit)
		return refusal;

	if (!ipv4)
		mask_prefix(client, config.policy.ipv6_prefix);
	__s64 now = (__s64)bpf_ktime_get_ns();
	struct fastntp_client *entry = bpf_map_lookup_elem(&fastntp_clients, client);
	if (!entry) {
		/* A new client starts with a full bucket. */
		struct fastntp_client fresh = { .full_at = now };
		bpf_map_update_elem(&fastntp_clients, client, &fresh, BPF_NOEXIST);
		entry = bpf_map_lookup_elem(&fastntp_clients, client);
		if (!entry)
			return refusal;
	}

	__s64 full = entry->full_at > now ? entry->full_at : now;
	int within = full - now <= (__s64)config.policy.burst_tolerance_ns;
	if (within)
		entry->full_at = full + (__s64)config.policy.interval_ns;
	if (refusal != POLICY_ALLOW)
		return is_kiss(refusal) && !within ? refusal + 1 : refusal;
	if (within)
		return POLICY_ALLOW;
	if (nts)
		return POLICY_RATE_DROP;

	__u32 phase = entry->kiss_phase;
	int kiss = phase < config.policy.kod_share;
	phase += config.policy.kod_share;
	entry->kiss_phase = phase >= KOD_SHARE_ONE ? phase - KOD_SHARE_ONE : phase;
	return kiss ? POLICY_RATE_KISS : POLICY_RATE_DROP;
}

#endif
