#!/usr/bin/env bash
# The raw-frame benchmarks of issues 12 (XDP) and 13 (AF_XDP NTS): fastntp-load --raw sends requests as Ethernet frames
# from one core into a veth pair between two network namespaces this script creates (scripts/bench/netns-pair.sh),
# against servers that run in the server namespace on the other core. The generator attaches its reply sink (an XDP
# program, loadtest/FastNtp.LoadTest/Bpf/reply_sink.c) to its veth: every reply is checked and counted in the driver
# and 1 in SAMPLE is verified fully in user space (checksums, client, NTP, NTS authentication), so replies are counted
# at driver speed (and a veth passes frames an XDP program bounces with XDP_TX only to a peer that runs XDP itself).
# Requests come from fastntp-load's XDP sender (SENDER=xdp, the default: an XDP program run by BPF_PROG_RUN in
# live-frames mode writes and paces every request in a kernel page and hands it to the veth as an xdp_frame, so
# neither side builds an skb per request; NTS requests are sealed before each run and copied into a BPF map per step);
# the script sets /sys/kernel/rcu_expedited to 1 while it runs (each BPF_PROG_RUN call ends with an RCU grace period,
# ~25 ms otherwise, during which nothing is sent) and restores it. SENDER=packet sends through an AF_PACKET socket
# (sendmmsg, an skb per request) instead. Each run's header line names its sender.
# Issue 12 (plain NTP, 48-octet requests):
#   ceiling    an XDP program on the server's veth that drops NTP (UDP to 123): nothing answers, the sent rate is what the generator
#              offers from one core (the ceiling of every measurement below, the XDP path's included);
#   reflector  the C recvmmsg/sendmmsg reflector (bench/reflector), the socket baseline;
#   fastntp    fastntp serve --workers 1 (the socket engine);
#   xdp        fastntp serve --workers 1 --xdp on the server's veth: plain NTP answered in the driver (XDP_TX);
#   chrony     chronyd -x (never touches the clock) with local stratum 1, allow all, no ratelimit.
# Issue 13 (NTS, AES-SIV-CMAC-256, requests built before each run from one NTS-KE session per simulated client, over
# TCP through the pair; a throwaway CA and a server certificate for 10.200.0.2 made with openssl):
#   nts-ceiling  FastNtp's NTS-KE, an XDP_DROP program on the server's veth: what the generator offers as NTS frames;
#   nts-socket   fastntp serve --workers 1 with NTS-KE: NTS through the socket engine;
#   nts-afxdp    the same with --xdp on the server's veth and Server:Xdp:AfXdp true (one queue): NTS through AF_XDP;
#   chrony-nts   chronyd -x with ntsservercert/ntsserverkey, NTS-KE on 4460.
# Each end's NAPI thread is pinned to its side's core, so the server's receive path runs on the server's core. Every
# run passes --server-pid (the server process's CPU) and --server-cpu (everything the server's core did, the NAPI
# thread's receive work and any XDP program included: the fair per-core figure here). Results: CSV and JSON per run,
# xdp-netns.svg, nts-netns.svg and summary.md in $OUT.
#
# Environment: ARTIFACTS (build output, default /tmp/art-bench), OUT (default bench/results/xdp-netns), STEP_START,
# STEP_MULT, STEP_MAX, DURATION (s per step), CLIENTS (simulated clients: source address and port pairs),
# ADDRESSES (source addresses they spread over), CEILING_RATE (offered in the ceiling runs), SAMPLE (1 reply in SAMPLE
# verified fully), NTS_STEP_START, NTS_STEP_MULT, NTS_STEP_MAX, NTS_CLIENTS (each one NTS-KE session), FAMILY (4 or 6),
# GEN_CPU, SERVER_CPU, PRIO (rt|nice|none), SENDER (xdp or packet), ONLY (subset of: ceiling reflector fastntp xdp chrony nts-ceiling
# nts-socket nts-afxdp chrony-nts; default all).
# Needs root (network namespaces, CAP_NET_RAW, CAP_BPF, chrt), clang, ethtool, iproute2, gcc, chrony, openssl.
set -euo pipefail
# The servers measured here run as root on loopback or in this script's namespaces; `serve` refuses that unless told.
export FASTNTP__SERVER__ALLOWROOT=true

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
ART=${ARTIFACTS:-/tmp/art-bench}
OUT=${OUT:-$ROOT/bench/results/xdp-netns}
STEP_START=${STEP_START:-100000}
STEP_MULT=${STEP_MULT:-1.25}
STEP_MAX=${STEP_MAX:-4000000}
DURATION=${DURATION:-3}
CLIENTS=${CLIENTS:-4096}
ADDRESSES=${ADDRESSES:-256}
CEILING_RATE=${CEILING_RATE:-6000000}
SAMPLE=${SAMPLE:-64}
NTS_STEP_START=${NTS_STEP_START:-50000}
NTS_STEP_MULT=${NTS_STEP_MULT:-1.25}
NTS_STEP_MAX=${NTS_STEP_MAX:-1500000}
NTS_CLIENTS=${NTS_CLIENTS:-256}
FAMILY=${FAMILY:-4}
SENDER=${SENDER:-xdp}
GEN_CPU=${GEN_CPU:-0}
SERVER_CPU=${SERVER_CPU:-1}
# The generator's NAPI thread is scheduled just above the generator (rt: SCHED_FIFO 51 over 50): the generator never
# blocks while it sends, so it would otherwise starve the NAPI thread that receives its replies (every reply then
# counts as lost). The server's NAPI thread shares the server's priority (50): above it, it preempted the server for
# every burst, so past its capacity a server's core did the receive work for requests it then had no time to answer
# and its answered rate collapsed (receive livelock). At the same priority the server runs until it waits for
# requests, and what it cannot take is refused at the veth's ring, as a NIC's ring overflows. nice -20 does not hold
# other cgroups' work off a shared machine.
PRIO=${PRIO:-rt}
ONLY=${ONLY:-ceiling reflector fastntp xdp chrony nts-ceiling nts-socket nts-afxdp chrony-nts}
CHRONYD=${CHRONYD:-/usr/sbin/chronyd}

# shellcheck source=scripts/bench/lib.sh
. "$ROOT/scripts/bench/lib.sh"
case "$PRIO" in
  nice) GEN_NAPI_PRIO=(renice -n -20 -p); SRV_NAPI_PRIO=(renice -n -20 -p) ;;
  rt) GEN_NAPI_PRIO=(chrt -f -p 51); SRV_NAPI_PRIO=(chrt -f -p 50) ;;
  none) GEN_NAPI_PRIO=(); SRV_NAPI_PRIO=() ;;
esac
case "$FAMILY" in
  4) TARGET_ADDR=10.200.0.2; TARGET=10.200.0.2:123; LISTEN=10.200.0.2:123; KE_LISTEN=10.200.0.2:4460 ;;
  6) TARGET_ADDR=fd00:200::2; TARGET=[fd00:200::2]:123; LISTEN=[fd00:200::2]:123; KE_LISTEN=[fd00:200::2]:4460 ;;
  *) echo "FAMILY must be 4 or 6" >&2; exit 2 ;;
esac

# Unique per run (the namespaces, veth devices and NAPI threads carry it), at most 8 characters.
NAME="xn$(($$ % 1000000))"
GEN_NS="$NAME-gen"; SRV_NS="$NAME-srv"; GEN_DEV="${NAME}g"; SRV_DEV="${NAME}s"
WORK=$(mktemp -d /tmp/fastntp-xdp-netns.XXXXXX)
RCU_EXPEDITED=$(cat /sys/kernel/rcu_expedited)
cleanup() {
  stop_server
  "$ROOT/scripts/bench/netns-pair.sh" down "$NAME"
  echo "$RCU_EXPEDITED" >/sys/kernel/rcu_expedited
  rm -rf "$WORK"
}
trap cleanup EXIT
[[ "$SENDER" == xdp ]] && echo 1 >/sys/kernel/rcu_expedited

bench_build
make -s -C "$ROOT/bench/xdp-sink"
mkdir -p "$OUT"

GEN_CPU=$GEN_CPU SERVER_CPU=$SERVER_CPU "$ROOT/scripts/bench/netns-pair.sh" up "$NAME"
if ((${#GEN_NAPI_PRIO[@]})); then
  for pid in $(pgrep "^napi/$GEN_DEV-"); do "${GEN_NAPI_PRIO[@]}" "$pid" >/dev/null; done
  for pid in $(pgrep "^napi/$SRV_DEV-"); do "${SRV_NAPI_PRIO[@]}" "$pid" >/dev/null; done
fi
echo "== machine: $MACHINE; namespaces $GEN_NS and $SRV_NS; load average $(cut -d' ' -f1-3 /proc/loadavg)"
: >"$OUT/loadavg.txt"

# The generator in the generator namespace on its core: raw frames on its veth to the server's MAC, replies counted by
# its reply sink. LOAD_EXTRA: the NTS options of the NTS runs.
LOAD_EXTRA=()
load() { # fastntp-load arguments...
  ip netns exec "$GEN_NS" "${PRIO_CMD[@]}" taskset -c "$GEN_CPU" dotnet "$LOAD" --raw "$GEN_DEV" --raw-dst-mac 02:00:00:00:00:02 \
    --target "$TARGET" --allow-non-loopback --raw-addresses "$ADDRESSES" --raw-sample "$SAMPLE" --raw-sender "$SENDER" "${LOAD_EXTRA[@]}" "$@"
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

STAIRS=(--clients "$CLIENTS" --step-start "$STEP_START" --step-mult "$STEP_MULT" --step-max "$STEP_MAX")
measure() { # name, label, server command...
  local name=$1 label=$2; shift 2
  echo "$name $(cut -d' ' -f1 /proc/loadavg)" >>"$OUT/loadavg.txt"
  start_server "$name" "$@"
  if wait_ready; then
    echo "== $label, $SENDER sender (load average $(cut -d' ' -f1-3 /proc/loadavg))"
    load "${STAIRS[@]}" --duration "$DURATION" \
      --server-pid "$SERVER_PID" --server-cpu "$SERVER_CPU" --label "$label" --plain --csv "$OUT/$name.csv" --json "$OUT/$name.json"
  else
    not_measured "$name" "$label did not answer at $TARGET"
  fi
  stop_server
}

# What the generator offers from one core when nothing answers: an XDP_DROP program on the server's veth.
ceiling() { # name, label, clients
  echo "== $2: XDP_DROP on $SRV_DEV, offered $CEILING_RATE/s, $SENDER sender (load average $(cut -d' ' -f1-3 /proc/loadavg))"
  echo "$1 $(cut -d' ' -f1 /proc/loadavg)" >>"$OUT/loadavg.txt"
  ip -n "$SRV_NS" link set dev "$SRV_DEV" xdpdrv obj "$ROOT/bench/xdp-sink/xdp_drop.o" sec xdp
  load --clients "$3" --rate "$CEILING_RATE" --duration "$DURATION" --drain 0.1 --server-cpu "$SERVER_CPU" --label "$2" \
    --plain --csv "$OUT/$1.csv" --json "$OUT/$1.json" | grep -E '^(step|fastntp-load)' || true
  ip -n "$SRV_NS" link set dev "$SRV_DEV" xdpdrv off
}

if want ceiling; then
  ceiling ceiling "generator ceiling (XDP_DROP peer)" "$CLIENTS"
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

if want nts-ceiling || want nts-socket || want nts-afxdp || want chrony-nts; then
  # A throwaway CA and server certificate for the server's addresses (the generator verifies NTS-KE against the CA),
  # and a fresh FastNtp cookie root secret. FastNtp's NTS-KE per-address limits are lifted: every session comes
  # from the generator's one address.
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 -subj /CN=bench-ca \
    -keyout "$WORK/ca.key" -out "$WORK/ca.pem" 2>/dev/null
  openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -subj /CN=fastntp-bench \
    -keyout "$WORK/server.key" -out "$WORK/server.csr" 2>/dev/null
  printf 'subjectAltName=IP:10.200.0.2,IP:fd00:200::2\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n' >"$WORK/ext.cnf"
  openssl x509 -req -in "$WORK/server.csr" -CA "$WORK/ca.pem" -CAkey "$WORK/ca.key" -CAcreateserial -days 2 \
    -extfile "$WORK/ext.cnf" -out "$WORK/server.pem" 2>/dev/null
  ((FASTNTP_OK)) && dotnet "$FASTNTP" keygen --out "$WORK/nts.key" >/dev/null
  FASTNTP_NTS=(env FASTNTP__NTSKE__HANDSHAKESPERADDRESS=1000000 FASTNTP__NTSKE__MAXCONNECTIONSPERADDRESS=1024
    dotnet "$FASTNTP" serve --listen "$LISTEN" --workers 1 --local-stratum 1
    --nts-ke-listen "$KE_LISTEN" --cert "$WORK/server.pem" --key "$WORK/server.key" --nts-key-file "$WORK/nts.key")
  LOAD_EXTRA=(--nts --ntske-port 4460 --ca "$WORK/ca.pem" --nts-algorithm 15 --nts-placeholders 0)
  STAIRS=(--clients "$NTS_CLIENTS" --step-start "$NTS_STEP_START" --step-mult "$NTS_STEP_MULT" --step-max "$NTS_STEP_MAX")

  if want nts-ceiling && ((FASTNTP_OK)); then
    start_server nts-ceiling "${FASTNTP_NTS[@]}"
    if wait_ready; then
      ceiling nts-ceiling "generator ceiling, NTS frames (XDP_DROP peer)" "$NTS_CLIENTS"
    else
      echo "!! the NTS ceiling's NTS-KE server did not start; not measured" >&2
    fi
    stop_server
  fi
  if want nts-socket && ((FASTNTP_OK)); then
    measure nts-socket "FastNtp NTS, socket engine --workers 1 (1 core)" "${FASTNTP_NTS[@]}"
  fi
  if want nts-afxdp && ((FASTNTP_OK)); then
    measure nts-afxdp "FastNtp NTS, AF_XDP --xdp, 1 queue (1 core)" env FASTNTP__SERVER__XDP__AFXDP=true FASTNTP__SERVER__XDP__QUEUES=1 \
      "${FASTNTP_NTS[@]}" --xdp "$SRV_DEV"
  fi
  if want chrony-nts; then
    cat >"$WORK/chrony-nts.conf" <<CONF
port 123
ntsport 4460
bindaddress $TARGET_ADDR
ntsservercert $WORK/server.pem
ntsserverkey $WORK/server.key
local stratum 1
allow all
cmdport 0
pidfile $WORK/chronyd-nts.pid
CONF
    measure chrony-nts "chrony $("$CHRONYD" -v | awk '{print $4}') NTS (1 core)" "$CHRONYD" -x -d -u root -f "$WORK/chrony-nts.conf"
  fi
  LOAD_EXTRA=()
fi

chart() { # file, title, names...
  local file=$1 title=$2 runs=(); shift 2
  for n in "$@"; do [[ -f "$OUT/$n.json" ]] && runs+=("$OUT/$n.json"); done
  if ((${#runs[@]})); then dotnet "$LOAD" chart --out "$OUT/$file" --title "$title" "${runs[@]}"; fi
}
chart xdp-netns.svg "Plain NTP, raw frames through a veth pair: one server core (CPU $SERVER_CPU), generator on CPU $GEN_CPU" reflector fastntp xdp chrony
chart nts-netns.svg "NTS, raw frames through a veth pair: one server core (CPU $SERVER_CPU), generator on CPU $GEN_CPU" nts-socket nts-afxdp chrony-nts

python3 - "$MACHINE" "$PRIO" "$OUT" "$SENDER" <<'PY' | tee "$OUT/summary.md"
import json, os, sys
machine, prio, out, sender = sys.argv[1:5]
loads = dict(line.split()[:2] for line in open(os.path.join(out, "loadavg.txt")) if line.strip())
print(f"Machine: {machine}; scheduling: {prio}; requests sent by the {sender} sender\n")
fmt = lambda v, p="{:,.0f}": "-" if v is None else p.format(v)

def load(name):
    path = os.path.join(out, name + ".json")
    return json.load(open(path)) if os.path.exists(path) else None

def loss(s):
    # The packet sender counts frames the interface refused as not sent; the XDP sender counts them as sent and lost.
    # A refusal is mostly the server's veth ring being full (the server's loss), so here it is lost with either.
    if sender != "packet":
        return s["loss_pct"]
    valid = s["sent"] * (1 - s["loss_pct"] / 100)
    offered = s["sent"] + s.get("send_errors", 0)
    return 100.0 * (offered - valid) / offered if offered else 100.0

def best(run):
    b = None
    for s in run["steps"]:
        if s["sent"] > 0 and loss(s) < 1.0 and (b is None or s["answered_rate"] > b["answered_rate"]):
            b = s
    return b

def ceiling(name, what):
    run = load(name)
    if run:
        s = run["steps"][0]
        print(f"Generator ceiling, {what} (one core, XDP_DROP peer): offered {s['offered_rate']:,.0f}/s, sent {s['sent'] / s['duration_s']:,.0f}/s "
              f"({s['skipped']:,} skipped, {s.get('send_errors', 0):,} refused by the interface), generator CPU {s.get('generator_cpu_pct') or 0:.0f}%, "
              f"server core busy {s.get('server_core_busy_pct') or 0:.0f}% (load average {loads.get(name, '?')})\n")

def table(names):
    print("| run | best answered/s at <1% loss | at offered/s (sent/s) | next step: offered → answered/s, loss | limited by | server core busy % there "
          "| answered per busy server core-second | server core ns per answer | server process CPU % there | server process ns per answer "
          "| replies verified fully there | load average |")
    print("|---|---:|---:|---|---|---:|---:|---:|---:|---:|---:|---:|")
    for name in names:
        run = load(name)
        if not run:
            continue
        b = best(run)
        get = lambda key: b.get(key) if b else None
        steps = run["steps"]
        nxt = next((s for s in steps if b and s["offered_rate"] > b["offered_rate"]), None)
        nxt_text = "-" if nxt is None else f"{nxt['offered_rate']:,.0f} → {nxt['answered_rate']:,.0f}, {loss(nxt):.1f} %"
        core = get("requests_per_server_core_s")
        proc = get("requests_per_server_cpu_s")
        sent = f" ({b['sent'] / b['duration_s']:,.0f})" if b else ""
        # The server is the limit where a higher step lost 1 % or more; otherwise it answered all the generator could send.
        limit = "-" if b is None else ("server" if any(s["offered_rate"] > b["offered_rate"] and loss(s) >= 1.0 for s in steps) else "generator")
        print(f"| {run['label']} | {fmt(b['answered_rate'] if b else 0)} | {fmt(get('offered_rate'))}{sent} | {nxt_text} | {limit} | "
              f"{fmt(get('server_core_busy_pct'), '{:.1f}')} | {fmt(core)} | {fmt(1e9 / core if core else None)} | "
              f"{fmt(get('server_cpu_pct'), '{:.1f}')} | {fmt(1e9 / proc if proc else None)} | {fmt(get('verified'))} | {loads.get(name, '?')} |")
    print()

ceiling("ceiling", "plain NTP frames")
table(("reflector", "fastntp", "xdp", "chrony"))
ceiling("nts-ceiling", "NTS frames")
table(("nts-socket", "nts-afxdp", "chrony-nts"))
PY
