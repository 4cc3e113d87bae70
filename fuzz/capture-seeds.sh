#!/usr/bin/env bash
# Captures real clients' traffic as fuzz seeds: chrony (plain and NTS), NTPsec's ntpdig and `fastntp query` (plain and
# NTS) against `fastntp serve`, over IPv4 and IPv6, inside a network namespace of this script's own (ntpdig only asks
# port 123). Writes fuzz/corpus/TARGET/captured-* for the targets that read datagrams, replies and frames. The NTS
# requests carry cookies of this run's random key, so the NTS targets see real field layouts, not openable cookies.
#   fuzz/capture-seeds.sh        (as root; needs chrony and ntpsec-ntpdig: scripts/install-deps.sh)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
source "$ROOT/scripts/bench/soaklib.sh"
export FASTNTP__SERVER__ALLOWROOT=true
ART=${ART:-/tmp/art-capture}
dotnet build "$ROOT/src/FastNtp" -c Release --artifacts-path "$ART" -nologo -v q -clp:ErrorsOnly >/dev/null
FASTNTP=(dotnet "$ART/bin/FastNtp/release/fastntp.dll")

ns=fastntp-capture-$$ work=$(mktemp -d) server="" sniffer=""
cleanup() {
  [ -n "$sniffer" ] && kill "$sniffer" 2>/dev/null || true
  [ -n "$server" ] && kill "$server" 2>/dev/null || true
  wait 2>/dev/null || true
  ip netns del "$ns" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
ip netns add "$ns"
ip -n "$ns" link set lo up
inns() { ip netns exec "$ns" "$@"; }

make_certificate "$work"   # scripts/bench/soaklib.sh: a throwaway CA and a certificate for 127.0.0.1

# Every UDP datagram to or from port 123 on the namespace's loopback, each frame once (lo shows it going out and coming in).
ip netns exec "$ns" /usr/bin/python3 - "$work/frames" <<'PY' &
import os, socket, sys, time
out = sys.argv[1]; os.makedirs(out)
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(3)); s.bind(("lo", 0)); s.settimeout(0.5)
open(out + "/ready", "w").close()
n = 0; deadline = time.time() + 120
while time.time() < deadline and not os.path.exists(out + "/stop"):
    try: frame, addr = s.recvfrom(65535)
    except socket.timeout: continue
    if addr[2] == socket.PACKET_OUTGOING: continue
    with open("%s/%04d" % (out, n), "wb") as f: f.write(frame)
    n += 1
PY
sniffer=$!
for _ in $(seq 50); do [ -f "$work/frames/ready" ] && break; sleep 0.1; done

# Started directly, not through inns: $! must be the server itself for the cleanup to stop it.
ip netns exec "$ns" "${FASTNTP[@]}" serve --listen 127.0.0.1:123 --listen '[::1]:123' --workers 1 --local-stratum 1 \
  --nts-ke-listen 127.0.0.1:4460 --cert "$work/server.pem" --key "$work/server.key" >"$work/server.log" 2>&1 &
server=$!
for _ in $(seq 100); do inns "${FASTNTP[@]}" query 127.0.0.1:123 --timeout 0.2 >/dev/null 2>&1 && break; sleep 0.2; done

chrony() { printf '%s\n' "$@" >"$work/chrony.conf"; inns timeout 30 chronyd -Q -u root -f "$work/chrony.conf" >/dev/null 2>&1; }
marks=()
mark() { marks+=("$1 $(ls "$work/frames" | grep -c '^[0-9]')"); }
mark fastntp-query;      inns "${FASTNTP[@]}" query 127.0.0.1:123 --count 2 >/dev/null
mark fastntp-query-v6;   inns "${FASTNTP[@]}" query '[::1]:123' --count 2 >/dev/null
mark fastntp-query-nts;  inns "${FASTNTP[@]}" query 127.0.0.1 --nts --ca "$work/ca.pem" --count 2 >/dev/null
mark ntpdig;             inns timeout 20 ntpdig -t 3 127.0.0.1 >/dev/null
mark ntpdig-v6;          inns timeout 20 ntpdig -t 3 ::1 >/dev/null
mark chrony;             chrony "server 127.0.0.1 iburst maxsamples 2"
mark chrony-nts;         chrony "ntstrustedcerts $work/ca.pem" "server 127.0.0.1 nts iburst maxsamples 2"
mark end
sleep 1; touch "$work/frames/stop"; wait "$sniffer"; sniffer=""

/usr/bin/python3 - "$work/frames" "$ROOT/fuzz/corpus" "${marks[@]}" <<'PY'
import os, struct, sys
frames_dir, corpus = sys.argv[1], sys.argv[2]
marks = [(m.split()[0], int(m.split()[1])) for m in sys.argv[3:]]
def udp(frame):
    kind = struct.unpack("!H", frame[12:14])[0]
    if kind == 0x0800:
        ihl = (frame[14] & 15) * 4
        if frame[23] != 17: return None
        start = 14 + ihl
    elif kind == 0x86dd:
        if frame[20] != 17: return None
        start = 54
    else: return None
    sport, dport = struct.unpack("!HH", frame[start:start + 4])
    return sport, dport, frame[start + 8:], kind == 0x86dd
def save(target, name, data):
    os.makedirs(os.path.join(corpus, target), exist_ok=True)
    with open(os.path.join(corpus, target, "captured-" + name), "wb") as f: f.write(data)
counts = {}
for (client, first), (_, end) in zip(marks, marks[1:]):
    request = reply = frame_seen = None
    for i in range(first, end):
        frame = open(os.path.join(frames_dir, "%04d" % i), "rb").read()
        parsed = udp(frame)
        if not parsed: continue
        sport, dport, payload, v6 = parsed
        if dport == 123 and request is None: request, port, frame_seen = payload, sport, frame
        elif sport == 123 and reply is None: reply = payload
    if request is None: sys.exit("capture: no request from " + client)
    nts = len(request) > 48
    save("ntp-header", client, request)
    # The responder targets' input (fuzz/FastNtp.Fuzz/ResponderExchanges.cs): interleaved mode on, then one request
    # from the first client with its source port and length.
    save("nts-responder" if nts else "responder", client, struct.pack("!BBHH", 1, 0, port, len(request)) + request)
    save("frame", client, frame_seen)
    if reply is not None: save("nts-client-reply" if nts else "client-reply", client, reply)
    counts[client] = (len(request), None if reply is None else len(reply))
for client, (req, rep) in counts.items(): print("%-18s request %4d B  reply %s" % (client, req, "none" if rep is None else "%d B" % rep))
PY
