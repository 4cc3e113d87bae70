#!/usr/bin/env bash
# Mixed soak: plain NTP, NTS and NTS-KE traffic against one `fastntp serve` for a given time at a given share of
# measured capacity, recording the server's health over time.
#   scripts/bench/soak.sh [--minutes M] [--share S] [--plain-capacity R] [--nts-capacity R] [--ntske-capacity R]
#                         [--ntske-clients N] [--out DIR]
# Plain NTP, NTS and NTS-KE each get a third of the share of their capacity (what one server sustains without loss:
# requests/s of one worker, NTS-KE exchanges/s; from bench/RESULTS.md, pass this machine's figures), so together they
# load the server to the share. NTS-KE runs N clients taking turns at that rate. All load comes from 127.0.0.1, so the
# NTS-KE per-address limits are lifted for the soak (ntske-flood.sh tests them).
# Load runs in rounds of 60 s (one JSON per round and kind: lost and invalid replies over time). Every 5 s
# scripts/bench/soaklib.sh (the sampler ntske-flood.sh uses too) records the server's RSS, anonymous memory, threads,
# open descriptors and, from its /metrics, GC heap, collections and pause time into DIR/samples.csv. DIR/soak.svg
# charts all of it, DIR/summary.txt sums it.
# Loopback only; every loop is bounded by the given minutes.
set -euo pipefail
# The servers measured here run as root on loopback or in this script's namespaces; `serve` refuses that unless told.
export FASTNTP__SERVER__ALLOWROOT=true
ROOT=$(cd "$(dirname "$0")/../.." && pwd)

minutes=10 share=0.8 plain_capacity=250000 nts_capacity=210000 ntske_capacity=1700 ntske_clients=4 out=$ROOT/loadtest/out/soak
while [ $# -gt 0 ]; do
  case "$1" in
    --minutes) minutes=$2 ;;
    --share) share=$2 ;;
    --plain-capacity) plain_capacity=$2 ;;
    --nts-capacity) nts_capacity=$2 ;;
    --ntske-capacity) ntske_capacity=$2 ;;
    --ntske-clients) ntske_clients=$2 ;;
    --out) out=$2 ;;
    *) echo "soak.sh: unknown option $1" >&2; exit 2 ;;
  esac
  shift 2
done
[[ "$minutes" =~ ^[1-9][0-9]*$ ]] || { echo "soak.sh: --minutes needs a positive whole number" >&2; exit 2; }
plain_rate=$(python3 -c "print(int($share * $plain_capacity / 3))")
nts_rate=$(python3 -c "print(int($share * $nts_capacity / 3))")
ntske_rate=$(python3 -c "print(round($share * $ntske_capacity / 3, 1))")

source "$ROOT/scripts/bench/soaklib.sh"
mkdir -p "$out"
ART=${ART:-/tmp/art-soak}
dotnet build "$ROOT/src/FastNtp" -c Release --artifacts-path "$ART" -nologo -v q -clp:ErrorsOnly >/dev/null
dotnet build "$ROOT/loadtest/FastNtp.LoadTest" -c Release --artifacts-path "$ART" -nologo -v q -clp:ErrorsOnly >/dev/null
LOAD=(dotnet "$ART/bin/FastNtp.LoadTest/release/fastntp-load.dll")

work=$(mktemp -d)
SERVER_PID=""
cleanup() {
  sampler_stop
  [ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null || true
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

port=12390 keport=14490 metrics=127.0.0.1:19190
export FASTNTP__NTSKE__HANDSHAKESPERADDRESS=1000000 FASTNTP__NTSKE__MAXCONNECTIONSPERADDRESS=1024
start_server "$work" "$out/server.log" "$port" "$keport" "$metrics" dotnet "$ART/bin/FastNtp/release/fastntp.dll"
server=$SERVER_PID
for _ in $(seq 1 30); do
  "${LOAD[@]}" ntske --target "127.0.0.1:$keport" --ca "$work/ca.pem" --clients 1 --duration 0.5 >/dev/null 2>&1 && break
  sleep 1
done

echo soak >"$work/phase"
sampler_start "$server" "$metrics" "$out/samples.csv" 5 "$work/phase"
start=$(date +%s)
end=$((start + minutes * 60))
round=0
echo "soak: $minutes min, plain $plain_rate/s, NTS $nts_rate/s, NTS-KE $ntske_rate/s ($ntske_clients clients); results in $out"
while [ "$(date +%s)" -lt "$end" ]; do
  round=$((round + 1))
  seconds=$(( end - $(date +%s) < 60 ? end - $(date +%s) : 60 ))
  [ "$seconds" -ge 5 ] || break
  "${LOAD[@]}" --target "127.0.0.1:$port" --rate "$plain_rate" --duration "$seconds" --warmup 0 --plain \
    --json "$out/plain-$round.json" >/dev/null 2>&1 &
  plain=$!
  "${LOAD[@]}" --target "127.0.0.1:$port" --nts --ntske-port "$keport" --ca "$work/ca.pem" --rate "$nts_rate" \
    --duration "$seconds" --warmup 0 --plain --json "$out/nts-$round.json" >/dev/null 2>&1 &
  nts=$!
  "${LOAD[@]}" ntske --target "127.0.0.1:$keport" --ca "$work/ca.pem" --clients "$ntske_clients" --rate "$ntske_rate" --duration "$seconds" \
    --json "$out/ntske-$round.json" >/dev/null 2>&1 &
  ke=$!
  wait "$plain" "$nts" "$ke" || echo "soak: a load run of round $round failed (see its JSON, if any)" >&2
done

sampler_stop
python3 "$ROOT/scripts/bench/soak_report.py" "$out" "$minutes" "$share" "$plain_rate" "$nts_rate" "$ntske_rate" "$ntske_clients" | tee "$out/summary.txt"
