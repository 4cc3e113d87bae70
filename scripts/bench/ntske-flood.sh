#!/usr/bin/env bash
# NTS-KE connection floods as a repeatable run: one `fastntp serve` with NTS-KE and metrics on loopback, then each
# flood kind in turn for a given time, with the server's memory sampled before, during and after (with a settle time).
#   scripts/bench/ntske-flood.sh [--seconds S] [--settle S] [--before S] [--kinds "refused idle hello garbage valid"]
#                                [--processes N] [--native DIR] [--out DIR]
# Kinds (scripts/bench/ntske-flood.py): refused (connect + close as fast as possible from 127.0.0.2-65: past the
# per-address budgets everything is refused before TLS), idle (connections held open up to the per-address
# limits), hello (a TLS ClientHello, then silence), garbage (a truncated TLS record or random octets, then silence),
# valid (full exchanges from addresses within their budgets: the control). A legitimate client (127.0.1.1-16, one
# exchange every 0.5 s) runs throughout. --native DIR runs DIR/fastntp (the NativeAOT binary) instead of
# `dotnet fastntp.dll`. Before the first flood, 5 s of valid exchanges warm the server up (JIT, the GC's first
# collections), so "before" is a serving server's level, not a fresh process's.
# Out: DIR/samples.csv (soaklib.sh's sampler, every second), DIR/probe.csv (the legitimate client), DIR/phases.csv,
# DIR/flood.svg and DIR/summary.txt: per flood "RSS before X MB, peak Y, after Z: within N %". Bounded by time.
set -euo pipefail
export FASTNTP__SERVER__ALLOWROOT=true
ROOT=$(cd "$(dirname "$0")/../.." && pwd)

seconds=20 settle=20 before=10 kinds="refused idle hello garbage valid" processes=2 native="" out=$ROOT/loadtest/out/ntske-flood
while [ $# -gt 0 ]; do
  case "$1" in
    --seconds) seconds=$2 ;;
    --settle) settle=$2 ;;
    --before) before=$2 ;;
    --kinds) kinds=$2 ;;
    --processes) processes=$2 ;;
    --native) native=$2 ;;
    --out) out=$2 ;;
    *) echo "ntske-flood.sh: unknown option $1" >&2; exit 2 ;;
  esac
  shift 2
done
for n in "$seconds" "$settle" "$before" "$processes"; do
  [[ "$n" =~ ^[1-9][0-9]*$ && "$n" -le 600 ]] || { echo "ntske-flood.sh: times and --processes are whole numbers 1-600" >&2; exit 2; }
done

source "$ROOT/scripts/bench/soaklib.sh"
mkdir -p "$out"
rm -f "$out"/*.csv "$out"/*.json
if [ -n "$native" ]; then
  SERVER=("$native/fastntp")
else
  ART=${ART:-/tmp/art-flood}
  dotnet build "$ROOT/src/FastNtp" -c Release --artifacts-path "$ART" -nologo -v q -clp:ErrorsOnly >/dev/null
  SERVER=(dotnet "$ART/bin/FastNtp/release/fastntp.dll")
fi
FLOOD=(python3 "$ROOT/scripts/bench/ntske-flood.py")

work=$(mktemp -d)
SERVER_PID="" probe=""
cleanup() {
  sampler_stop
  [ -n "$probe" ] && kill "$probe" 2>/dev/null || true
  [ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null || true
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

port=12395 keport=14495 metrics=127.0.0.1:19195
start_server "$work" "$out/server.log" "$port" "$keport" "$metrics" "${SERVER[@]}"
server=$SERVER_PID
for _ in $(seq 1 30); do
  "${FLOOD[@]}" probe "$keport" 0.5 --ca "$work/ca.pem" | grep -q ',1,' && break
  sleep 1
done

phase() { # name: what the sampler records from now on, and its start in phases.csv
  echo "$1" >"$work/phase"
  echo "$1,$(date +%s.%N)" >>"$out/phases.csv"
}
echo "phase,start_unix" >"$out/phases.csv"
phase warmup
sampler_start "$server" "$metrics" "$out/samples.csv" 1 "$work/phase"
echo "unix_time,ok,ms" >"$out/probe.csv"
"${FLOOD[@]}" probe "$keport" 3600 --ca "$work/ca.pem" >>"$out/probe.csv" &
probe=$!
# A server that has served for a while: JIT done, the GC at its working size (its first collections come with load).
"${FLOOD[@]}" valid "$keport" 5 --processes "$processes" --ca "$work/ca.pem" >/dev/null
sleep 5

echo "ntske-flood: kinds '$kinds', $seconds s each, $settle s to settle; server $(basename "${SERVER[-1]}") pid $server; results in $out"
for kind in $kinds; do
  phase "before:$kind"
  sleep "$before"
  phase "flood:$kind"
  "${FLOOD[@]}" "$kind" "$keport" "$seconds" --processes "$processes" --ca "$work/ca.pem" >"$out/flood-$kind.json"
  phase "after:$kind"
  sleep "$settle"
done
phase end
sleep 1
sampler_stop
kill "$probe" 2>/dev/null || true
curl -s "http://$metrics/metrics" | grep '^fastntp_ntske' >"$out/ntske-counters.txt" || true
python3 "$ROOT/scripts/bench/ntske_flood_report.py" "$out" | tee "$out/summary.txt"
