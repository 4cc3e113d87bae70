#!/usr/bin/env bash
# The native (NativeAOT) fastntp against the JIT build: binary size, start-up time to the first answered request,
# resident memory, and answered requests/s under the load generator (fixed rate, loopback, 1 worker).
#   scripts/bench/aot-vs-jit.sh NATIVE_BINARY JIT_DLL LOAD_DLL [RATE]
# NATIVE_BINARY: `dotnet publish src/FastNtp -c Release -r linux-x64 -o DIR` gives DIR/fastntp.
# JIT_DLL: `dotnet build src/FastNtp -c Release` gives artifacts/bin/FastNtp/release/fastntp.dll.
# LOAD_DLL: `dotnet build loadtest/FastNtp.LoadTest -c Release` gives .../fastntp-load.dll.
set -euo pipefail
# The servers measured here run as root on loopback or in this script's namespaces; `serve` refuses that unless told.
export FASTNTP__SERVER__ALLOWROOT=true
native=$1 jit=$2 load=$3 rate=${4:-100000}
port=12391
out=$(mktemp -d)
trap 'kill "${pid:-0}" 2>/dev/null || true; rm -rf "$out"' EXIT

# Milliseconds from exec to the first valid reply: a plain client request sent every 2 ms, up to 20 s. The client
# starts first and writes its ready file; the caller then writes the start time into it and starts the server.
first_answer() {
  python3 - "$port" "$out/ready" <<'PY'
import socket, sys, time
port, ready = int(sys.argv[1]), sys.argv[2]
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(0.002)
request = bytes([0x23]) + bytes(47)
open(ready, "w").close()
# The server is started once the ready file exists; count from then.
while not open(ready).read():
    time.sleep(0.0005)
start = float(open(ready).read())
while time.time() - start < 20:
    s.sendto(request, ("127.0.0.1", port))
    try:
        reply = s.recv(512)
        if len(reply) >= 48 and reply[0] & 7 == 4:
            print(f"{(time.time() - start) * 1000:.0f}")
            sys.exit(0)
    except socket.timeout:
        pass
sys.exit("no answer within 20 s")
PY
}

measure() {
  local name=$1; shift
  local starts=()
  for _ in 1 2 3; do
    rm -f "$out/ready"
    first_answer > "$out/first" & local waiter=$!
    until [ -e "$out/ready" ]; do sleep 0.01; done
    date +%s.%N > "$out/ready"
    "$@" serve --listen 127.0.0.1:$port --workers 1 --local-stratum 1 >/dev/null 2>&1 & pid=$!
    wait "$waiter"; starts+=("$(cat "$out/first")")
    kill -TERM "$pid"; wait "$pid" || true
  done
  rm -f "$out/ready"
  first_answer >/dev/null & local waiter=$!
  until [ -e "$out/ready" ]; do sleep 0.01; done
  date +%s.%N > "$out/ready"
  "$@" serve --listen 127.0.0.1:$port --workers 1 --local-stratum 1 >/dev/null 2>&1 & pid=$!
  wait "$waiter"
  local idle; idle=$(awk '/VmRSS/ { print $2 }' "/proc/$pid/status")
  dotnet "$load" --target 127.0.0.1:$port --rate "$rate" --duration 10 --plain --server-pid "$pid" \
    --label "$name" --json "$out/$name.json" >/dev/null
  local loaded; loaded=$(awk '/VmHWM/ { print $2 }' "/proc/$pid/status")
  kill -TERM "$pid"; wait "$pid" || true; pid=
  python3 - "$out/$name.json" "$name" "${starts[*]}" "$idle" "$loaded" <<'PY'
import json, sys
path, name, starts, idle, peak = sys.argv[1:]
step = json.load(open(path))["steps"][0]
print(f"{name}: start-up to first answer {starts.replace(' ', ', ')} ms; RSS idle {int(idle) / 1024:.1f} MiB, "
      f"peak {int(peak) / 1024:.1f} MiB; answered {step['answered_rate']:.0f}/s of {step['offered_rate']:.0f}/s "
      f"(loss {step['loss_pct']:.2f} %), server CPU {step.get('server_cpu_pct', 0):.0f} %, "
      f"{step.get('requests_per_server_cpu_s', 0):.0f} answered per server CPU-second")
PY
}

echo "size: native $(du -b "$native" | cut -f1) B; JIT $(du -cb "$(dirname "$jit")"/*.dll | tail -1 | cut -f1) B of assemblies" \
  "plus the shared runtime ($(du -sb /usr/share/dotnet/shared | cut -f1) B)"
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
measure native "$native"
measure jit dotnet "$jit"
measure native "$native"
measure jit dotnet "$jit"
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
