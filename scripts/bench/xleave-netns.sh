#!/usr/bin/env bash
# Issue 15: the offset jitter a chrony client measures in interleaved mode (xleave) against basic mode, and what
# interleaved mode costs the server. Two network namespaces joined by a veth pair (scripts/bench/netns-pair.sh):
# the client's (NAME-gen, 10.200.0.1) runs `chronyd -x` (never touches the clock) polling the server's (NAME-srv,
# 10.200.0.2) every 2^POLL s, and logs every sample (log measurements). Runs:
#   fastntp-xleave  fastntp serve --workers 1 (Server:Interleaved true), client `server ... xleave`
#   fastntp-basic   the same server, client without xleave (basic mode)
#   chrony-xleave   chronyd -x as the server (local stratum 1, its own kernel transmit stamps), client with xleave
#   cost            fastntp-load at RATE requests/s for COST_DURATION s on the server namespace's loopback against
#                   fastntp serve with Server:Interleaved false, then true (transmit timestamping on, every reply
#                   recorded): the server's CPU per request (--server-pid), the cost of timestamping
# For each chrony run the table gives the samples, the share the client took in interleaved mode (its measurements
# log's I/B column), the mean offset and its standard deviation (the jitter), the mean delay, and what
# `chronyc ntpdata` said (Interleaved : Yes/No). WARMUP samples are dropped first (iburst and the first exchanges).
# The machine's load average is printed with the table; run it on a quiet machine.
#
# Environment: ARTIFACTS (build output, default /tmp/art-bench), OUT (default bench/results/xleave-netns), SAMPLES
# (per chrony run, default 300), WARMUP (default 16), POLL (chrony's poll exponent, default -4: 16 a second), RATE
# (default 20000), COST_DURATION (default 5), ONLY (subset of: fastntp-xleave fastntp-basic chrony-xleave cost).
# Needs root (network namespaces), chrony, iproute2, ethtool, python3. About 3 minutes with the defaults, build aside.
set -euo pipefail
# The servers measured here run as root in this script's namespaces; `serve` refuses that unless told.
export FASTNTP__SERVER__ALLOWROOT=true

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
ART=${ARTIFACTS:-/tmp/art-bench}
OUT=${OUT:-$ROOT/bench/results/xleave-netns}
SAMPLES=${SAMPLES:-300}
WARMUP=${WARMUP:-16}
POLL=${POLL:--4}
RATE=${RATE:-20000}
COST_DURATION=${COST_DURATION:-5}
ONLY=${ONLY:-fastntp-xleave fastntp-basic chrony-xleave cost}
CHRONYD=${CHRONYD:-/usr/sbin/chronyd}
CHRONYC=${CHRONYC:-/usr/bin/chronyc}
PRIO=none

# shellcheck source=scripts/bench/lib.sh
. "$ROOT/scripts/bench/lib.sh"

NAME="xl$$"
NAME=${NAME:0:8}
GEN="$NAME-gen"
SRV="$NAME-srv"
SERVER_ADDR=10.200.0.2
WORK=$(mktemp -d /tmp/xleave-netns.XXXXXX)
CLIENT_PID=""
mkdir -p "$OUT"

stop_client() {
  if [[ -n "$CLIENT_PID" ]]; then kill "$CLIENT_PID" 2>/dev/null || true; wait "$CLIENT_PID" 2>/dev/null || true; fi
  CLIENT_PID=""
}

cleanup() {
  stop_client
  stop_server
  "$ROOT/scripts/bench/netns-pair.sh" down "$NAME"
  rm -rf "$WORK"
}
trap cleanup EXIT

start_fastntp() { # name, interleaved (true|false)
  FASTNTP__SERVER__INTERLEAVED=$2 ip netns exec "$SRV" dotnet "$FASTNTP" serve --listen "$SERVER_ADDR:123" \
    --listen 127.0.0.1:123 --local-stratum 1 --workers 1 >"$WORK/$1.log" 2>&1 &
  SERVER_PID=$!
  for _ in $(seq 100); do
    grep -q "Serving NTP" "$WORK/$1.log" && return 0
    kill -0 "$SERVER_PID" 2>/dev/null || break
    sleep 0.2
  done
  return 1
}

start_chrony_server() { # name
  local dir="$WORK/$1-server"
  mkdir -p "$dir"
  cat >"$dir/chrony.conf" <<EOF
bindaddress $SERVER_ADDR
allow all
local stratum 1
cmdport 0
pidfile $dir/chronyd.pid
EOF
  ip netns exec "$SRV" "$CHRONYD" -x -d -u root -f "$dir/chrony.conf" >"$WORK/$1.log" 2>&1 &
  SERVER_PID=$!
  sleep 1
  kill -0 "$SERVER_PID" 2>/dev/null
}

# Runs the chrony client until it has logged WARMUP + SAMPLES measurements (bounded in time); leaves its log in $WORK/$1.
run_client() { # name, extra server options
  local dir="$WORK/$1"
  mkdir -p "$dir"
  chmod 700 "$dir"
  cat >"$dir/chrony.conf" <<EOF
server $SERVER_ADDR iburst minpoll $POLL maxpoll $POLL $2
bindcmdaddress $dir/chronyd.sock
cmdport 0
pidfile $dir/chronyd.pid
logdir $dir
log measurements
EOF
  ip netns exec "$GEN" "$CHRONYD" -x -d -u root -f "$dir/chrony.conf" >"$dir/client.log" 2>&1 &
  CLIENT_PID=$!
  local want=$((WARMUP + SAMPLES))
  local limit
  limit=$(python3 -c "print(int(30 + 3 * $want * 2 ** $POLL))")
  local start=$SECONDS
  while (( SECONDS - start < limit )); do
    local got
    got=$(grep -c " $SERVER_ADDR " "$dir/measurements.log" 2>/dev/null || true)
    (( ${got:-0} >= want )) && break
    sleep 1
  done
  ip netns exec "$GEN" "$CHRONYC" -h "$dir/chronyd.sock" -n ntpdata "$SERVER_ADDR" >"$dir/ntpdata.txt" 2>&1 || true
  stop_client
  cp "$dir/measurements.log" "$OUT/$1-measurements.log" 2>/dev/null || true
  cp "$dir/ntpdata.txt" "$OUT/$1-ntpdata.txt"
}

# One table row from a run's measurements log: samples, interleaved share, mean offset, jitter, mean delay.
summarize_run() { # name
  python3 - "$OUT/$1-measurements.log" "$OUT/$1-ntpdata.txt" "$1" "$WARMUP" "$SAMPLES" <<'EOF'
import math, re, sys
log, ntpdata, name, warmup, samples = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
rows = []
try:
    for line in open(log):
        f = line.split()
        # Date Time IP L St 123 567 ABCD LP RP Score Offset PeerDel PeerDisp RootDel RootDisp Refid MTxRx
        if len(f) >= 18 and re.match(r"\d{4}-\d\d-\d\d", f[0]):
            rows.append((float(f[11]), float(f[12]), f[17][1:2]))
except FileNotFoundError:
    pass
rows = rows[warmup:warmup + samples]
said = re.search(r"Interleaved\s*:\s*(\w+)", open(ntpdata).read())
if not rows:
    print(f"| {name} | 0 | - | - | - | - | {said.group(1) if said else '?'} |")
    sys.exit()
offsets = [r[0] for r in rows]
mean = sum(offsets) / len(offsets)
sd = math.sqrt(sum((o - mean) ** 2 for o in offsets) / max(1, len(offsets) - 1))
delay = sum(r[1] for r in rows) / len(rows)
share = sum(1 for r in rows if r[2] == "I") / len(rows)
print(f"| {name} | {len(rows)} | {100 * share:.0f}% | {mean * 1e6:+.2f} | {sd * 1e6:.2f} | {delay * 1e6:.1f} | {said.group(1) if said else '?'} |")
EOF
}

# The server's CPU per request at RATE/s on the server namespace's loopback.
measure_cost() { # name, interleaved
  if ! start_fastntp "$1" "$2"; then not_measured "$1" "fastntp serve did not start"; stop_server; return; fi
  ip netns exec "$SRV" dotnet "$LOAD" --target 127.0.0.1:123 --rate "$RATE" --duration "$COST_DURATION" --warmup 1 \
    --drain 0.3 --clients 64 --server-pid "$SERVER_PID" --label "$1" --plain --json "$OUT/$1.json" >"$WORK/$1-load.log" 2>&1 || true
  stop_server
  python3 - "$OUT/$1.json" "$1" <<'EOF'
import json, sys
try:
    s = json.load(open(sys.argv[1]))["steps"][0]
    cpu = s.get("server_cpu_s")
    per = f"{1e6 * cpu / s['replies']:.2f}" if cpu and s["replies"] else "-"
    print(f"| {sys.argv[2]} | {s['sent']} | {s['replies']} | {per} |")
except (OSError, KeyError, IndexError, ValueError):
    print(f"| {sys.argv[2]} | - | - | not measured |")
EOF
}

bench_build
[[ "$FASTNTP_OK" == 1 ]] || { echo "fastntp did not build" >&2; exit 1; }
"$ROOT/scripts/bench/netns-pair.sh" up "$NAME"

if want fastntp-xleave || want fastntp-basic; then
  if start_fastntp fastntp-server true; then
    want fastntp-xleave && run_client fastntp-xleave xleave
    want fastntp-basic && run_client fastntp-basic ""
  else
    not_measured fastntp-server "fastntp serve did not start"
  fi
  stop_server
fi

if want chrony-xleave; then
  if start_chrony_server chrony-server; then run_client chrony-xleave xleave; else not_measured chrony-server "chronyd did not start"; fi
  stop_server
fi

COST_ROWS=()
if want cost; then
  COST_ROWS+=("$(measure_cost cost-basic false)")
  COST_ROWS+=("$(measure_cost cost-interleaved true)")
fi

{
  echo "## xleave-netns: $(date -u '+%Y-%m-%d %H:%M UTC'), $MACHINE, load average $(cut -d' ' -f1-3 /proc/loadavg)"
  echo
  echo "chronyd -x client polling every 2^$POLL s, $SAMPLES samples after $WARMUP dropped; offsets and delays in µs."
  echo
  echo "| run | samples | interleaved | mean offset | offset SD (jitter) | mean delay | ntpdata Interleaved |"
  echo "|---|---|---|---|---|---|---|"
  for run in fastntp-xleave fastntp-basic chrony-xleave; do want "$run" && summarize_run "$run"; done
  if want cost; then
    echo
    echo "fastntp serve --workers 1, fastntp-load at $RATE/s for $COST_DURATION s on the server namespace's loopback:"
    echo
    echo "| run | sent | replies | server CPU µs per request |"
    echo "|---|---|---|---|"
    printf '%s\n' "${COST_ROWS[@]}"
  fi
} | tee "$OUT/summary.md"
