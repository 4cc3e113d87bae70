#!/usr/bin/env bash
# Reproduces "## Throughput (issue 3)" and "## NTS throughput (issue 5)" in bench/RESULTS.md: the same
# fastntp-load steps against
#   1. the C recvmmsg/sendmmsg reflector (bench/reflector), the baseline,
#   2. chrony 4.3 (chronyd -x: it never touches the clock), local stratum 1, allow all, no ratelimit,
#   3. fastntp serve --workers 1,
#   4. (nts) fastntp serve --workers 1 with NTS-KE, and chrony 4.3 as NTS server, driven with NTS requests,
# each pinned to CPU $SERVER_CPU with the generator on CPU $GEN_CPU; then fastntp --workers 1 and 2 (and the
# reflector with 1 and 2 threads) unpinned, for the workers curve. Everything binds to 127.0.0.1 only.
# The generator samples the server's CPU time (/proc/PID/stat) at each step's start and end (--server-pid),
# so every step also reports server CPU % and answered requests per server CPU-second.
# Writes CSV, JSON, SVG and summary.md into bench/results/ (override with OUT=...).
#
# Environment: ARTIFACTS (build output, default /tmp/art-bench), OUT, STEP_START, STEP_MULT, STEP_MAX,
# DURATION (s per step), CLIENTS, BURST (µs per sendmmsg burst), PRIO (rt|nice|none: scheduling of server and generator, default rt),
# NTS_STEP_START, NTS_STEP_MULT, NTS_STEP_MAX (the NTS staircase), NTS_ALGORITHM (15 or 30), NTS_PLACEHOLDERS,
# ONLY (space-separated subset of: reflector chrony fastntp nts curve ntske), NTSKE_DURATION, NTSKE_CLIENTS.
# The ntske pass runs NTS-KE handshakes (fastntp-load ntske) against fastntp serve --nts-ke-listen, once with an
# ECDSA P-256 and once with an RSA-2048 certificate, and reports exchanges/s and server CPU per exchange.
set -euo pipefail
# The servers measured here run as root on loopback or in this script's namespaces; `serve` refuses that unless told.
export FASTNTP__SERVER__ALLOWROOT=true

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
ART=${ARTIFACTS:-/tmp/art-bench}
OUT=${OUT:-$ROOT/bench/results}
STEP_START=${STEP_START:-100000}
STEP_MULT=${STEP_MULT:-1.1}
STEP_MAX=${STEP_MAX:-330000}
DURATION=${DURATION:-3}
CLIENTS=${CLIENTS:-64}
# 200 µs bursts: fewer cross-CPU wake-ups per request, which on a VM are what limits the generator at mid rates.
BURST=${BURST:-200}
GEN_CPU=${GEN_CPU:-0}
SERVER_CPU=${SERVER_CPU:-1}
PRIO=${PRIO:-rt}
ONLY=${ONLY:-reflector chrony fastntp nts curve ntske}
NTSKE_DURATION=${NTSKE_DURATION:-10}
NTSKE_CLIENTS=${NTSKE_CLIENTS:-8}
# NTS costs more per request on both sides, so its staircase starts lower and climbs in finer steps.
NTS_STEP_START=${NTS_STEP_START:-20000}
NTS_STEP_MULT=${NTS_STEP_MULT:-1.15}
NTS_STEP_MAX=${NTS_STEP_MAX:-330000}
NTS_ALGORITHM=${NTS_ALGORITHM:-15}
NTS_PLACEHOLDERS=${NTS_PLACEHOLDERS:-0}
# Before each run, wait (polling every 30 s) until the 1-minute load average is below QUIET_LOAD, for at most
# QUIET_WAIT_MAX seconds over the whole script; a run that starts above it is marked provisional in the summary.
QUIET_LOAD=${QUIET_LOAD:-1.5}
QUIET_WAIT_MAX=${QUIET_WAIT_MAX:-2400}
QUIET_WAITED=0
CHRONYD=${CHRONYD:-/usr/sbin/chronyd}
PORT_BASE=${PORT_BASE:-12400}

# shellcheck source=scripts/bench/lib.sh
. "$ROOT/scripts/bench/lib.sh"

mkdir -p "$OUT"
: >"$OUT/loadavg.txt"
WORK=$(mktemp -d /tmp/fastntp-bench.XXXXXX)
cleanup() {
  stop_server
  rm -rf "$WORK"
}
trap cleanup EXIT

bench_build
echo "== machine: $MACHINE"
echo "== load average before: $(cut -d' ' -f1-3 /proc/loadavg)"

start_server() { # name, pin (cpu or ""), command...
  local name=$1 pin=$2; shift 2
  local cmd=("$@")
  [[ -n "$pin" ]] && cmd=(taskset -c "$pin" "${cmd[@]}")
  "${PRIO_CMD[@]}" "${cmd[@]}" >"$WORK/$name.log" 2>&1 &
  SERVER_PID=$!
}

# What the next measure() passes to the generator besides the common options: the staircase, and for NTS
# runs the NTS options (the readiness probe uses them too, so an NTS server is ready only once NTS-KE works).
STAIRS=(--step-start "$STEP_START" --step-mult "$STEP_MULT" --step-max "$STEP_MAX")
LOAD_EXTRA=()

# Waits (at most ~15 s) until the server answers a short probe without loss or invalid replies;
# chrony needs a moment before its local reference is selected and it stops answering "unsynchronised".
wait_ready() { # port
  local port=$1
  for _ in $(seq 1 15); do
    if ! kill -0 "$SERVER_PID" 2>/dev/null; then return 1; fi
    if dotnet "$LOAD" --target "127.0.0.1:$port" --rate 200 --duration 0.5 --warmup 0 --drain 0.2 --clients 1 \
        "${LOAD_EXTRA[@]}" --json "$WORK/probe.json" --plain >/dev/null 2>&1 && probe_clean "$WORK/probe.json"; then
      return 0
    fi
    sleep 1
  done
  return 1
}

run_load() { # name, label, port, pin (cpu or ""), threads
  local name=$1 label=$2 port=$3 pin=$4 threads=$5
  local cmd=(dotnet "$LOAD" --target "127.0.0.1:$port" --clients "$CLIENTS" --threads "$threads"
    "${STAIRS[@]}" --duration "$DURATION" --burst "$BURST" --server-pid "$SERVER_PID" "${LOAD_EXTRA[@]}"
    --label "$label" --plain --csv "$OUT/$name.csv" --json "$OUT/$name.json")
  [[ -n "$pin" ]] && cmd=(taskset -c "$pin" "${cmd[@]}")
  echo "== $label: ${cmd[*]}"
  "${PRIO_CMD[@]}" "${cmd[@]}"
}

wait_quiet() { # name
  local load
  while true; do
    load=$(cut -d' ' -f1 /proc/loadavg)
    if awk -v l="$load" -v q="$QUIET_LOAD" 'BEGIN { exit !(l < q) }'; then break; fi
    if ((QUIET_WAITED >= QUIET_WAIT_MAX)); then
      echo "!! load average $load is still above $QUIET_LOAD after ${QUIET_WAITED} s of waiting: $1 runs anyway (provisional)" >&2
      echo "$1 $load provisional" >>"$OUT/loadavg.txt"
      return
    fi
    echo "== load average $load >= $QUIET_LOAD; waiting 30 s before $1 (waited ${QUIET_WAITED} s so far)"
    sleep 30
    QUIET_WAITED=$((QUIET_WAITED + 30))
  done
  echo "$1 $load quiet" >>"$OUT/loadavg.txt"
}

measure() { # name, label, port, server pin, generator pin, generator threads, server command...
  local name=$1 label=$2 port=$3 spin=$4 gpin=$5 threads=$6; shift 6
  wait_quiet "$name"
  start_server "$name" "$spin" "$@"
  if wait_ready "$port"; then
    run_load "$name" "$label" "$port" "$gpin" "$threads"
  else
    not_measured "$name" "$label did not answer on 127.0.0.1:$port"
  fi
  stop_server
}

# A throwaway CA and a server certificate for 127.0.0.1 in $WORK/$1: keys of type $1 (ec = ECDSA P-256, rsa = RSA-2048).
make_pki() { # ec|rsa
  local dir="$WORK/$1" alg
  mkdir -p "$dir"
  if [[ $1 == rsa ]]; then alg=(-newkey rsa:2048); else alg=(-newkey ec -pkeyopt ec_paramgen_curve:prime256v1); fi
  openssl req -x509 "${alg[@]}" -nodes -days 2 -subj /CN=bench-ca -keyout "$dir/ca.key" -out "$dir/ca.pem" 2>/dev/null
  openssl req "${alg[@]}" -nodes -subj /CN=localhost -keyout "$dir/server.key" -out "$dir/server.csr" 2>/dev/null
  printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n' >"$dir/ext.cnf"
  openssl x509 -req -in "$dir/server.csr" -CA "$dir/ca.pem" -CAkey "$dir/ca.key" -CAcreateserial -days 2 \
    -extfile "$dir/ext.cnf" -out "$dir/server.pem" 2>/dev/null
}

if want reflector; then
  measure reflector "C reflector (1 core)" $((PORT_BASE + 1)) "$SERVER_CPU" "$GEN_CPU" 1 \
    "$ROOT/bench/reflector/reflector" -a 127.0.0.1 -p $((PORT_BASE + 1))
fi

if want chrony; then
  cat >"$WORK/chrony.conf" <<CONF
port $((PORT_BASE + 2))
bindaddress 127.0.0.1
local stratum 1
allow all
cmdport 0
pidfile $WORK/chronyd.pid
CONF
  measure chrony "chrony $("$CHRONYD" -v | awk '{print $4}') (1 core)" $((PORT_BASE + 2)) "$SERVER_CPU" "$GEN_CPU" 1 \
    "$CHRONYD" -x -d -u root -f "$WORK/chrony.conf"
fi

if want fastntp && ((FASTNTP_OK)); then
  measure fastntp-w1-pinned "FastNtp --workers 1 (1 core)" $((PORT_BASE + 3)) "$SERVER_CPU" "$GEN_CPU" 1 \
    dotnet "$FASTNTP" serve --listen 127.0.0.1:$((PORT_BASE + 3)) --workers 1 --local-stratum 1
fi

if want nts; then
  # A throwaway CA and server certificate for 127.0.0.1 (both servers verify nothing of the client; the
  # generator verifies the server against the CA), and a fresh FastNtp cookie root secret.
  make_pki ec
  cp "$WORK/ec/ca.pem" "$WORK/ca.pem"; cp "$WORK/ec/server.pem" "$WORK/server.pem"; cp "$WORK/ec/server.key" "$WORK/server.key"
  STAIRS=(--step-start "$NTS_STEP_START" --step-mult "$NTS_STEP_MULT" --step-max "$NTS_STEP_MAX")

  if ((FASTNTP_OK)); then
    dotnet "$FASTNTP" keygen --out "$WORK/nts.key" >/dev/null
    LOAD_EXTRA=(--nts --ntske-port $((PORT_BASE + 11)) --ca "$WORK/ca.pem" --nts-algorithm "$NTS_ALGORITHM" --nts-placeholders "$NTS_PLACEHOLDERS")
    measure fastntp-nts "FastNtp NTS --workers 1 (1 core)" $((PORT_BASE + 10)) "$SERVER_CPU" "$GEN_CPU" 1 \
      dotnet "$FASTNTP" serve --listen 127.0.0.1:$((PORT_BASE + 10)) --workers 1 --local-stratum 1 \
        --nts-ke-listen 127.0.0.1:$((PORT_BASE + 11)) --cert "$WORK/server.pem" --key "$WORK/server.key" --nts-key-file "$WORK/nts.key"
  fi

  # chrony's NTS-KE runs in a helper process it forks (ntsprocesses 1); the NTP replies, which are what is
  # measured, come from the main chronyd process, whose CPU time the generator samples.
  cat >"$WORK/chrony-nts.conf" <<CONF
port $((PORT_BASE + 12))
ntsport $((PORT_BASE + 13))
bindaddress 127.0.0.1
ntsservercert $WORK/server.pem
ntsserverkey $WORK/server.key
local stratum 1
allow 127.0.0.1
cmdport 0
pidfile $WORK/chronyd-nts.pid
CONF
  LOAD_EXTRA=(--nts --ntske-port $((PORT_BASE + 13)) --ca "$WORK/ca.pem" --nts-algorithm "$NTS_ALGORITHM" --nts-placeholders "$NTS_PLACEHOLDERS")
  measure chrony-nts "chrony $("$CHRONYD" -v | awk '{print $4}') NTS (1 core)" $((PORT_BASE + 12)) "$SERVER_CPU" "$GEN_CPU" 1 \
    "$CHRONYD" -x -d -u root -f "$WORK/chrony-nts.conf"
  STAIRS=(--step-start "$STEP_START" --step-mult "$STEP_MULT" --step-max "$STEP_MAX")
  LOAD_EXTRA=()
fi

if want curve; then
  for w in 1 2; do
    ((FASTNTP_OK)) && measure "fastntp-w$w" "FastNtp --workers $w (unpinned)" $((PORT_BASE + 3 + w)) "" "" 2 \
      dotnet "$FASTNTP" serve --listen 127.0.0.1:$((PORT_BASE + 3 + w)) --workers "$w" --local-stratum 1
    measure "reflector-t$w" "C reflector -t $w (unpinned)" $((PORT_BASE + 5 + w)) "" "" 2 \
      "$ROOT/bench/reflector/reflector" -a 127.0.0.1 -p $((PORT_BASE + 5 + w)) -t "$w"
  done
fi

if want ntske && ((FASTNTP_OK)); then
  # NTS-KE handshakes: the server on CPU $SERVER_CPU, the generator (8 clients, each with one TLS context and one
  # exchange at a time, a fresh TCP connection and full TLS 1.3 handshake per exchange) on CPU $GEN_CPU.
  [[ -f "$WORK/nts.key" ]] || dotnet "$FASTNTP" keygen --out "$WORK/nts.key" >/dev/null
  for kt in ec rsa; do
    [[ -f "$WORK/$kt/server.pem" ]] || make_pki "$kt"
    name="ntske-$kt"
    ke_port=$((PORT_BASE + 21 + 2 * ${#kt}))
    label="FastNtp NTS-KE, $([[ $kt == ec ]] && echo ECDSA P-256 || echo RSA-2048) (1 core)"
    wait_quiet "$name"
    # Every load client connects from 127.0.0.1: lift the per-address handshake limit (it would cap the figure at 16 a minute).
    FASTNTP__NTSKE__HANDSHAKESPERADDRESS=1000000 FASTNTP__NTSKE__MAXCONNECTIONSPERADDRESS=1024 \
    start_server "$name" "$SERVER_CPU" dotnet "$FASTNTP" serve --listen 127.0.0.1:$((ke_port + 1)) --workers 1 --local-stratum 1 \
      --nts-ke-listen 127.0.0.1:$ke_port --cert "$WORK/$kt/server.pem" --key "$WORK/$kt/server.key" --nts-key-file "$WORK/nts.key"
    ready=0
    for _ in $(seq 1 15); do
      kill -0 "$SERVER_PID" 2>/dev/null || break
      if dotnet "$LOAD" ntske --target 127.0.0.1:$ke_port --ca "$WORK/$kt/ca.pem" --clients 1 --duration 0.3 --json "$WORK/probe-ke.json" >/dev/null 2>&1 &&
         python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); sys.exit(0 if r["exchanges"]>0 and r["failures"]==0 else 1)' "$WORK/probe-ke.json"; then
        ready=1; break
      fi
      sleep 1
    done
    if ((ready)); then
      cmd=(taskset -c "$GEN_CPU" dotnet "$LOAD" ntske --target 127.0.0.1:$ke_port --ca "$WORK/$kt/ca.pem" --clients "$NTSKE_CLIENTS"
        --duration "$NTSKE_DURATION" --server-pid "$SERVER_PID" --label "$label" --csv "$OUT/$name.csv" --json "$OUT/$name.json")
      echo "== $label: ${cmd[*]}"
      "${PRIO_CMD[@]}" "${cmd[@]}"
    else
      not_measured "$name" "$label did not complete an NTS-KE exchange on 127.0.0.1:$ke_port"
    fi
    stop_server
  done
fi

echo "== load average after: $(cut -d' ' -f1-3 /proc/loadavg)"

# Charts: one for the pinned comparison, one for the workers curve (only the runs that exist).
pinned=(); curve=()
nts=()
for n in reflector chrony fastntp-w1-pinned; do [[ -f "$OUT/$n.json" ]] && pinned+=("$OUT/$n.json"); done
for n in fastntp-w1-pinned fastntp-nts chrony-nts chrony; do [[ -f "$OUT/$n.json" ]] && nts+=("$OUT/$n.json"); done
for n in fastntp-w1 fastntp-w2 reflector-t1 reflector-t2; do [[ -f "$OUT/$n.json" ]] && curve+=("$OUT/$n.json"); done
if ((${#pinned[@]})); then
  dotnet "$LOAD" chart --out "$OUT/throughput.svg" --title "One server core (taskset -c $SERVER_CPU), generator on CPU $GEN_CPU" "${pinned[@]}"
fi
if ((${#nts[@]})); then
  dotnet "$LOAD" chart --out "$OUT/nts-throughput.svg" --title "NTS and plain NTP, one server core (taskset -c $SERVER_CPU), generator on CPU $GEN_CPU" "${nts[@]}"
fi
if ((${#curve[@]})); then
  dotnet "$LOAD" chart --out "$OUT/workers.svg" --title "Workers curve: server and generator unpinned on $(nproc) vCPU" "${curve[@]}"
fi

NOTE="1-minute load average when each run started: $(awk '{printf "%s%s %s%s", sep, $1, $2, ($3 == "provisional" ? " (provisional: machine shared)" : ""); sep = ", "}' "$OUT/loadavg.txt")"
python3 "$ROOT/scripts/bench/summarize.py" --machine "$MACHINE" --prio "$PRIO" --note "$NOTE" "$OUT"/*.json >"$OUT/summary.md"
cat "$OUT/summary.md"
