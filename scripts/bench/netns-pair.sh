#!/usr/bin/env bash
# Two network namespaces joined by a veth pair, for raw-frame load tests (fastntp-load --raw) and the XDP path:
#
#   NAME-gen: NAMEg 02:00:00:00:00:01  10.200.0.1/24  fd00:200::1/64   (the generator's end)
#   NAME-srv: NAMEs 02:00:00:00:00:02  10.200.0.2/24  fd00:200::2/64   (the server's end)
#
# Simulated clients use 10.201.0.0/16 and fd00:201::/64: the server namespace routes them back via 10.200.0.1 and
# fd00:200::1 (static neighbour entries, so nobody waits for ARP or neighbour discovery), and the generator's kernel,
# which does not own them and does not forward, drops the replies after the generator's packet socket has seen them.
# Both ends run NAPI (GRO on) in threaded mode; with GEN_CPU / SERVER_CPU set, each end's NAPI thread is pinned to
# that CPU, so the server's receive work (or its XDP program) runs on the server's core and not on the sender's.
# TSO is off on both: a veth hands a UDP skb from a TSO-capable sender to the peer's NAPI only if the peer forwards
# UDP GRO, and otherwise to netif_rx on the *sending* CPU, which would put each side's receive work on the other's core.
# A veth passes frames bounced with XDP_TX only to a peer that runs XDP itself: fastntp-load --raw attaches its reply
# sink to NAMEg for that.
#
#   netns-pair.sh up NAME      create (fails if NAME-gen or NAME-srv exists)
#   netns-pair.sh down NAME    delete both namespaces (and with them the veth pair); never fails
# NAME (letters and digits, at most 8, so the NAPI threads' names keep the device name) must be unique per run,
# e.g. include the PID; the caller deletes what it created (trap ... EXIT).
set -euo pipefail

cmd=${1:-}
name=${2:-}
[[ -n "$cmd" && "$name" =~ ^[A-Za-z0-9]{1,8}$ ]] || { echo "usage: $0 up|down NAME (letters and digits, at most 8)" >&2; exit 2; }
gen="$name-gen"
srv="$name-srv"
gdev="${name}g"
sdev="${name}s"

case "$cmd" in
  down)
    ip netns del "$gen" 2>/dev/null || true
    ip netns del "$srv" 2>/dev/null || true
    ;;
  up)
    ip netns add "$gen"
    ip netns add "$srv"
    ip -n "$gen" link add "$gdev" address 02:00:00:00:00:01 type veth peer name "$sdev" address 02:00:00:00:00:02 netns "$srv"
    for ns in "$gen" "$srv"; do
      ip -n "$ns" link set lo up
      ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0
    done
    ip -n "$gen" addr add 10.200.0.1/24 dev "$gdev"
    ip -n "$gen" addr add fd00:200::1/64 dev "$gdev" nodad
    ip -n "$srv" addr add 10.200.0.2/24 dev "$sdev"
    ip -n "$srv" addr add fd00:200::2/64 dev "$sdev" nodad
    ip -n "$gen" link set "$gdev" up
    ip -n "$srv" link set "$sdev" up
    ip -n "$srv" neigh replace 10.200.0.1 lladdr 02:00:00:00:00:01 dev "$sdev" nud permanent
    ip -n "$srv" neigh replace fd00:200::1 lladdr 02:00:00:00:00:01 dev "$sdev" nud permanent
    ip -n "$gen" neigh replace 10.200.0.2 lladdr 02:00:00:00:00:02 dev "$gdev" nud permanent
    ip -n "$gen" neigh replace fd00:200::2 lladdr 02:00:00:00:00:02 dev "$gdev" nud permanent
    ip -n "$srv" route add 10.201.0.0/16 via 10.200.0.1 dev "$sdev"
    ip -n "$srv" -6 route add fd00:201::/64 via fd00:200::1 dev "$sdev"
    for entry in "$gen:$gdev:${GEN_CPU:-}" "$srv:$sdev:${SERVER_CPU:-}"; do
      IFS=: read -r ns dev cpu <<<"$entry"
      ip netns exec "$ns" ethtool -K "$dev" gro on tso off >/dev/null
      ip netns exec "$ns" sh -c "echo 1 > /sys/class/net/$dev/threaded"
      if [[ -n "$cpu" ]]; then
        for pid in $(pgrep "^napi/$dev-"); do taskset -pc "$cpu" "$pid" >/dev/null; done
      fi
    done
    ;;
  *)
    echo "usage: $0 up|down NAME" >&2; exit 2 ;;
esac
