#!/usr/bin/env bash
# The raw-frame benchmark of issue 12: fastntp-load --raw sends NTP requests as Ethernet frames from one core into
# a veth pair between two network namespaces this script creates (scripts/bench/netns-pair.sh), against servers
# that run in the server namespace on the other core:
#   ceiling    an XDP_DROP program on the server's veth: nothing answers, the sent rate is what the generator
#              offers from one core (the ceiling of every measurement below, the XDP path's included);
#   reflector  the C recvmmsg/sendmmsg reflector (bench/reflector), the socket baseline;
#   fastntp    fastntp serve --workers 1 (the socket engine);
#   xdp        fastntp serve --workers 1 --xdp on the server's veth: plain NTP answered in the driver (XDP_TX);
#   chrony     chronyd -x (never touches the clock) with local stratum 1, allow all, no ratelimit.
# The generator's veth runs an XDP_PASS program (bench/xdp-sink), so replies an XDP program bounces with XDP_TX
# reach it; each end's NAPI thread is pinned to its side's core, so the server's receive path runs on the server's
# core. Every run passes --server-pid (the server process's CPU) and --server-cpu (everything the server's core did,
# the NAPI thread's receive work and any XDP program included: the fair per-core figure here). Results: CSV and
# JSON per run, xdp-netns.svg and summary.md in $OUT.
#
# Environment: ARTIFACTS (build output, default /tmp/art-bench), OUT (default bench/results/xdp-netns), STEP_START,
# STEP_MULT, STEP_MAX, DURATION (s per step), CLIENTS (simulated clients: source address and port pairs),
# ADDRESSES (source addresses they spread over), CEILING_RATE (offered in the ceiling run), FAMILY (4 or 6),
# GEN_CPU, SERVER_CPU, PRIO (rt|nice|none), ONLY (subset of: ceiling reflector fastntp xdp chrony).
# Needs root (network namespaces, CAP_NET_RAW, chrt), clang, ethtool, iproute2, gcc, chrony.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
ART=${ARTIFACTS:-/tmp/art-bench}
OUT=${OUT:-$ROOT/bench/results/xdp-netns}
STEP_START=${STEP_START:-100000}
STEP_MULT=${STEP_MULT:-1.25}
STEP_MAX=${STEP_MAX:-2000000}
DURATION=${DURATION:-3}
CLIENTS=${CLIENTS:-4096}
ADDRESSES=${ADDRESSES:-256}
CEILING_RATE=${CEILING_RATE:-6000000}
FAMILY=${FAMILY:-4}
GEN_CPU=${GEN_CPU:-0}
SERVER_CPU=${SERVER_CPU:-1}
# Each side's NAPI thread is scheduled just above its side's process (rt: SCHED_FIFO 51 over 50): a real-time generator
# otherwise starves the NAPI thread that receives its replies once it is busy (every reply then counts as lost), and
# a real-time server the one that receives its requests. nice -20 does not hold other cgroups' work off a shared machine.
PRIO=${PRIO:-rt}
ONLY=${ONLY:-ceiling reflector fastntp xdp chrony}
CHRONYD=${CHRONYD:-/usr/sbin/chronyd}

# shellcheck source=scripts/bench/lib.sh
. "$ROOT/scripts/bench/lib.sh"
case "$PRIO" in
  nice) NAPI_PRIO=(renice -n -20 -p) ;;
  rt) NAPI_PRIO=(chrt -f -p 51) ;;
  none) NAPI_PRIO=() ;;
esac
case "$FAMILY" in
  4) TARGET_ADDR=10.200.0.2; TARGET=10.200.0.2:123; LISTEN=10.200.0.2:123 ;;
  6) TARGET_ADDR=fd00:200::2; TARGET=[fd00:200::2]:123; LISTEN=[fd00:200::2]:123 ;;
  *) echo "FAMILY must be 4 or 6" >&2; exit 2 ;;
esac

# Unique per run (the namespaces, veth devices and NAPI threads carry it), at most 8 characters.
NAME="xn$(($$ % 1000000))"
GEN_NS="$NAME-gen"; SRV_NS="$NAME-srv"; GEN_DEV="${NAME}g"; SRV_DEV="${NAME}s"
WORK=$(mktemp -d /tmp/fastntp-xdp-netns.XXXXXX)
cleanup() {
  stop_server
  "$ROOT/scripts/bench/netns-pair.sh" down "$NAME"
  rm -rf "$WORK"
}
trap cleanup EXIT

bench_build
make -s -C "$ROOT/bench/xdp-sink"
mkdir -p "$OUT"

GEN_CPU=$GEN_CPU SERVER_CPU=$SERVER_CPU XDP_PASS_OBJ="$ROOT/bench/xdp-sink/xdp_pass.o" "$ROOT/scripts/bench/netns-pair.sh" up "$NAME"
if ((${#NAPI_PRIO[@]})); then
  for pid in $(pgrep "^napi/$GEN_DEV-") $(pgrep "^napi/$SRV_DEV-"); do "${NAPI_PRIO[@]}" "$pid" >/dev/null; done
fi
echo "== machine: $MACHINE; namespaces $GEN_NS and $SRV_NS; load average $(cut -d' ' -f1-3 /proc/loadavg)"
: >"$OUT/loadavg.txt"

# The generator in the generator namespace on its core: raw frames on its veth to the server's MAC.
load() { # fastntp-load arguments...
  ip netns exec "$GEN_NS" "${PRIO_CMD[@]}" taskset -c "$GEN_CPU" dotnet "$LOAD" --raw "$GEN_DEV" --raw-dst-mac 02:00:00:00:00:02 \
    --target "$TARGET" --allow-non-loopback --raw-addresses "$ADDRESSES" "$@"
}

start_server() { # name, command...
  local name=$1; shift
  # ip netns exec execs the command, so $! is the server's own PID (what --server-pid samples).
  ip netns exec "$SRV_NS" "${PRIO_CMD[@]}" taskset -c "$SERVER_CPU" "$@" >"$WORK/$name.log" 2>&1 &
  SERVER_PID=$!
}

# Waits (at most ~15 s) until the server answers a short raw probe without loss or invalid replies.
wait_ready() {
  for _ in $(seq 1 15); do
    kill -0 "$SERVER_PID" 2>/dev/null || return 1
    if load --rate 1000 --duration 0.5 --warmup 0 --drain 0.2 --clients 16 --json "$WORK/probe.json" --plain >/dev/null 2>&1 && probe_clean "$WORK/probe.json"; then
      return 0
    fi
    sleep 1
  done
  return 1
}

measure() { # name, label, server command...
  local name=$1 label=$2; shift 2
  echo "$name $(cut -d' ' -f1 /proc/loadavg)" >>"$OUT/loadavg.txt"
  start_server "$name" "$@"
  if wait_ready; then
    echo "== $label"
    load --clients "$CLIENTS" --step-start "$STEP_START" --step-mult "$STEP_MULT" --step-max "$STEP_MAX" --duration "$DURATION" \
      --server-pid "$SERVER_PID" --server-cpu "$SERVER_CPU" --label "$label" --plain --csv "$OUT/$name.csv" --json "$OUT/$name.json"
  else
    not_measured "$name" "$label did not answer at $TARGET"
  fi
  stop_server
}

if want ceiling; then
  echo "== ceiling: XDP_DROP on $SRV_DEV, offered $CEILING_RATE/s"
  echo "ceiling $(cut -d' ' -f1 /proc/loadavg)" >>"$OUT/loadavg.txt"
  ip -n "$SRV_NS" link set dev "$SRV_DEV" xdpdrv obj "$ROOT/bench/xdp-sink/xdp_drop.o" sec xdp
  load --clients "$CLIENTS" --rate "$CEILING_RATE" --duration "$DURATION" --drain 0.1 --server-cpu "$SERVER_CPU" --label "generator ceiling (XDP_DROP peer)" \
    --plain --csv "$OUT/ceiling.csv" --json "$OUT/ceiling.json" | grep -E '^(step|fastntp-load)'
  ip -n "$SRV_NS" link set dev "$SRV_DEV" xdpdrv off
fi

if want reflector; then
  measure reflector "C reflector (1 core)" "$ROOT/bench/reflector/reflector" -a "$TARGET_ADDR" -p 123
fi

if want fastntp && ((FASTNTP_OK)); then
  measure fastntp "FastNtp --workers 1 (1 core)" dotnet "$FASTNTP" serve --listen "$LISTEN" --workers 1 --local-stratum 1
fi

if want xdp && ((FASTNTP_OK)); then
  measure xdp "FastNtp --xdp, native (1 core)" dotnet "$FASTNTP" serve --listen "$LISTEN" --workers 1 --local-stratum 1 --xdp "$SRV_DEV"
fi

if want chrony; then
  cat >"$WORK/chrony.conf" <<CONF
port 123
bindaddress $TARGET_ADDR
local stratum 1
allow all
cmdport 0
pidfile $WORK/chronyd.pid
CONF
  measure chrony "chrony $("$CHRONYD" -v | awk '{print $4}') (1 core)" "$CHRONYD" -x -d -u root -f "$WORK/chrony.conf"
fi

runs=()
for n in reflector fastntp xdp chrony; do [[ -f "$OUT/$n.json" ]] && runs+=("$OUT/$n.json"); done
if ((${#runs[@]})); then
  dotnet "$LOAD" chart --out "$OUT/xdp-netns.svg" --title "Raw frames through a veth pair: one server core (CPU $SERVER_CPU), generator on CPU $GEN_CPU" "${runs[@]}"
fi

python3 - "$MACHINE" "$PRIO" "$OUT" <<'PY' | tee "$OUT/summary.md"
import json, os, sys
machine, prio, out = sys.argv[1:4]
loads = dict(line.split()[:2] for line in open(os.path.join(out, "loadavg.txt")) if line.strip())
print(f"Machine: {machine}; scheduling: {prio}\n")
ceiling = os.path.join(out, "ceiling.json")
if os.path.exists(ceiling):
    s = json.load(open(ceiling))["steps"][0]
    print(f"Generator ceiling (one core, XDP_DROP peer): offered {s['offered_rate']:,.0f}/s, sent {s['sent'] / s['duration_s']:,.0f}/s "
          f"({s['skipped']:,} skipped, {s.get('send_errors', 0):,} refused by the socket), generator CPU {s.get('generator_cpu_pct') or 0:.0f}%, "
          f"server core busy {s.get('server_core_busy_pct') or 0:.0f}% (load average {loads.get('ceiling', '?')})\n")
print("| run | best answered/s at <1% loss | at offered/s | server core busy % there | answered per busy server core-second "
      "| server process CPU % there | answered per server process CPU-second | load average |")
print("|---|---:|---:|---:|---:|---:|---:|---:|")
for name in ("reflector", "fastntp", "xdp", "chrony"):
    path = os.path.join(out, name + ".json")
    if not os.path.exists(path):
        continue
    run = json.load(open(path))
    best = None
    for s in run["steps"]:
        if s["sent"] > 0 and s["loss_pct"] < 1.0 and (best is None or s["answered_rate"] > best["answered_rate"]):
            best = s
    fmt = lambda v, p="{:,.0f}": "-" if v is None else p.format(v)
    get = lambda key: best.get(key) if best else None
    print(f"| {run['label']} | {fmt(best['answered_rate'] if best else 0)} | {fmt(get('offered_rate'))} | "
          f"{fmt(get('server_core_busy_pct'), '{:.1f}')} | {fmt(get('requests_per_server_core_s'))} | "
          f"{fmt(get('server_cpu_pct'), '{:.1f}')} | {fmt(get('requests_per_server_cpu_s'))} | {loads.get(name, '?')} |")
PY
