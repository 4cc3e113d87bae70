/* Map layouts shared by the XDP program and its C# loader (FastNtp.Server.Xdp.XdpLayout pins them in tests). */
#ifndef FASTNTP_XDP_H
#define FASTNTP_XDP_H

#include <linux/types.h>

#define FASTNTP_MAX_ENDPOINTS 8
/* AF_XDP: the XSKMAP index of an interface's queue is its slot * FASTNTP_MAX_QUEUES + the queue. */
#define FASTNTP_MAX_INTERFACES 8
#define FASTNTP_MAX_QUEUES 64
/* Room for every FastNtp.Protocol.Server.DropReason value, present and to come. */
#define FASTNTP_DROP_REASONS 16
/* FastNtp.Protocol.Policy.PolicyCounter: rate-limited kiss, rate-limited drop, denied, NTS required. */
#define FASTNTP_POLICY_COUNTERS 4
/* Access:Allow and Access:Deny prefixes per address family. */
#define FASTNTP_ACCESS_RULES 65536

/* One address and port the program answers for, as the socket engine listens on it. */
struct fastntp_endpoint {
	__u8 family;   /* 4 or 6; 0 ends the list */
	__u8 wildcard; /* any unicast destination address */
	__be16 port;
	__u8 address[16]; /* IPv4 in the first 4 octets */
};

/* The RateLimit and Access settings as FastNtp.Protocol.Policy.ClientPolicy holds them. */
struct fastntp_policy {
	__u64 interval_ns;        /* one token per interval */
	__u64 burst_tolerance_ns; /* (burst - 1) intervals */
	__u32 kod_share;          /* in 65536ths: requests over the limit answered with RATE */
	__u8 rate_limit;          /* per-client buckets are kept */
	__u8 check_access;        /* an access list is configured */
	__u8 allow_unmatched;     /* the allow list is empty */
	__u8 refuse_with_kiss;    /* Access:DenyAction kod */
	__u8 require_nts;         /* requests without an NTS cookie are refused */
	__s8 kiss_poll;           /* the poll exponent a kiss asks for at least */
	__u8 ipv6_prefix;         /* IPv6 clients in one prefix of this length share a bucket */
	__u8 nts;                 /* the server answers NTS: a request with a cookie field asks for it */
	__u8 reserved[4];
};

/* Read-only after load (.rodata), so the verifier prunes what a configuration cannot reach. */
struct fastntp_config {
	__u64 stale_after_ns; /* a heartbeat older than this means the publisher is gone */
	struct fastntp_endpoint endpoints[FASTNTP_MAX_ENDPOINTS];
	struct fastntp_policy policy;
};

/* Keys of the access lists' LPM tries: the prefix length, then the address in network order. */
struct fastntp_prefix_v4 {
	__u32 prefix_length;
	__u8 address[4];
};

struct fastntp_prefix_v6 {
	__u32 prefix_length;
	__u8 address[16];
};

/* One published ServerSnapshot, in host byte order. */
struct fastntp_slot {
	__s64 root_dispersion; /* NTP 32.32 duration as of reference_time */
	__u64 reference_time;  /* NTP timestamp */
	__u32 root_delay;      /* NTP short format */
	__u8 reference_id[4];  /* as on the wire */
	__u8 leap;
	__u8 stratum;
	__s8 precision;
	__u8 leap_window; /* a leap smear or a leap is near: the program cannot smear, user space answers */
	__u8 reserved[4];
};

/*
 * The server state, in a map the publisher mmaps. The publisher fills the slot that generation does not
 * name, then increments generation; a reader that sees generation move by more than one while copying
 * its slot may have read a torn slot and leaves the packet to the kernel.
 */
struct fastntp_state {
	__u64 generation;
	__u64 heartbeat_tai_ns; /* CLOCK_TAI when the publisher last ran */
	__s64 tai_offset_ns;    /* TAI - UTC, from adjtimex */
	__u64 reserved;
	struct fastntp_slot slots[2];
};

/* Per-CPU; the loader sums the CPUs. */
struct fastntp_counters {
	__u64 answered;
	__u64 passed_extensions; /* NTS or other extension fields the policy let through: to FastNtp's AF_XDP socket, else the kernel */
	__u64 passed_stale;      /* heartbeat stale, state being rewritten, or a leap window */
	__u64 passed_checksum;   /* bad IPv4 header or UDP checksum: the kernel drops and counts it */
	__u64 dropped[FASTNTP_DROP_REASONS]; /* indexed by DropReason */
	__u64 refused[FASTNTP_POLICY_COUNTERS]; /* indexed by PolicyCounter */
	__u64 kod_sent;
	__u64 redirected_unstamped; /* redirected without their receive time: the driver had no room for metadata */
};

/*
 * In front of a frame redirected to FastNtp's AF_XDP socket (XDP metadata, which AF_XDP copies into the UMEM
 * frame): the receive time the program took, and a check word that tells it from whatever bytes precede a frame
 * whose driver refused the metadata (a uniform fill never passes: it makes check equal to rx_tai_ns).
 */
struct fastntp_rx_meta {
	__u64 rx_tai_ns; /* CLOCK_TAI */
	__u64 check;     /* rx_tai_ns ^ FASTNTP_RX_META_KEY */
};

#define FASTNTP_RX_META_KEY 0x466173744e747021ULL /* "FastNtp!" */

#endif
