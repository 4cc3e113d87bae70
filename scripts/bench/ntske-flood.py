#!/usr/bin/env python3
"""NTS-KE connection floods against one server on loopback, bounded by time (scripts/bench/ntske-flood.sh drives it).
  ntske-flood.py KIND PORT SECONDS [--processes N] [--addresses N]
KIND:
  refused   connect and close at once, as fast as possible, from 127.0.0.2 and up (N addresses) and from 127.0.0.1:
            past the per-address handshake budget every connection is refused before TLS.
  idle      hold connections open without a byte, from N addresses, up to the per-address limit each; a closed one
            is opened again.
  hello     send a TLS 1.3 ClientHello and then nothing; the server waits for the rest until its handshake timeout.
  garbage   send a truncated TLS record header, or 200 random octets, then nothing.
  valid     full NTS-KE exchanges (TLS 1.3, ALPN ntske/1, cookies checked), each address of 127.1.0.0/16 used in turn
            so that no address exceeds the default handshake budget (the control: what a busy but honest load costs).
  probe     the legitimate client: one exchange every 0.5 s from 127.0.1.1-16 in turn (their budgets are not
            exhausted), one CSV line per attempt (unix time, 1 or 0, milliseconds) on stdout, until SECONDS (at most
            3600) have passed or it is stopped; --ca required.
Prints one JSON line (probe: CSV lines): connections made, attempts that failed. Loopback only."""
import argparse
import json
import multiprocessing
import os
import socket
import ssl
import struct
import time

parser = argparse.ArgumentParser()
parser.add_argument("kind", choices=["refused", "idle", "hello", "garbage", "valid", "probe"])
parser.add_argument("port", type=int)
parser.add_argument("seconds", type=float)
parser.add_argument("--processes", type=int, default=2)
parser.add_argument("--addresses", type=int, default=64)
parser.add_argument("--per-address", type=int, default=8, help="idle: connections each address holds")
parser.add_argument("--ca", help="valid, probe: the CA certificate (PEM) the server's certificate chains to")
args = parser.parse_args()
if args.kind in ("valid", "probe") and not args.ca:
    parser.error("valid and probe need --ca")
if not 0 < args.seconds <= (3600 if args.kind == "probe" else 600) or not 1 <= args.addresses <= 250 or not 1 <= args.processes <= 16:
    parser.error("seconds 0-600 (probe: 0-3600), addresses 1-250, processes 1-16")

TARGET = ("127.0.0.1", args.port)
LINGER_RESET = struct.pack("ii", 1, 0)


def client_hello():
    """A TLS 1.3 ClientHello with ALPN ntske/1 (what an NTS-KE client sends first), built by hand."""
    def ext(kind, body):
        return struct.pack("!HH", kind, len(body)) + body
    alpn = b"ntske/1"
    extensions = b"".join([
        ext(0x002b, b"\x02\x03\x04"),                                            # supported_versions: TLS 1.3
        ext(0x000a, b"\x00\x02\x00\x1d"),                                        # supported_groups: x25519
        ext(0x000d, b"\x00\x04\x04\x03\x08\x04"),                                # signature_algorithms
        ext(0x0033, struct.pack("!HHH", 36, 0x001d, 32) + os.urandom(32)),       # key_share x25519
        ext(0x0010, struct.pack("!HB", len(alpn) + 1, len(alpn)) + alpn),        # ALPN
    ])
    body = (b"\x03\x03" + os.urandom(32) + b"\x20" + os.urandom(32) + b"\x00\x02\x13\x01\x01\x00"
            + struct.pack("!H", len(extensions)) + extensions)
    handshake = b"\x01" + struct.pack("!I", len(body))[1:] + body
    return b"\x16\x03\x01" + struct.pack("!H", len(handshake)) + handshake


# NTS-KE request (RFC 8915 section 4): Next Protocol NTPv4, AEAD AES-SIV-CMAC-256, End of Message; all critical.
NTSKE_REQUEST = bytes.fromhex("8001 0002 0000 8004 0002 000f 8000 0000".replace(" ", ""))


def tls_context():
    context = ssl.create_default_context(cafile=args.ca)
    context.minimum_version = ssl.TLSVersion.TLSv1_3
    context.set_alpn_protocols(["ntske/1"])
    return context


CONTEXT = tls_context() if args.ca else None


def exchange(address, timeout=5.0):
    """One NTS-KE exchange from address; True when the response ends properly and carries cookies and no error."""
    context = CONTEXT
    try:
        with socket.socket() as raw:
            raw.settimeout(timeout)
            raw.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            raw.bind((address, 0))
            raw.connect(TARGET)
            with context.wrap_socket(raw, server_hostname=TARGET[0]) as tls:
                if tls.selected_alpn_protocol() != "ntske/1":
                    return False
                tls.sendall(NTSKE_REQUEST)
                data = b""
                while True:
                    chunk = tls.recv(4096)
                    if not chunk:
                        break
                    data += chunk
    except (OSError, ssl.SSLError):
        return False
    cookies, offset = 0, 0
    while offset + 4 <= len(data):
        kind, length = struct.unpack_from("!HH", data, offset)
        kind &= 0x7FFF
        offset += 4 + length
        if kind == 2:
            return False
        cookies += kind == 5
        if kind == 0:
            return cookies > 0 and offset <= len(data)
    return False


def source(i):
    return f"127.0.0.{2 + i % args.addresses}" if i % (args.addresses + 1) else "127.0.0.1"


def connect(address):
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, LINGER_RESET)
    # A full accept queue drops SYNs; a connect must not outlast the flood by its retries.
    s.settimeout(1.0)
    s.bind((address, 0))
    s.connect(TARGET)
    return s


def churn(worker, end, totals):
    """refused, hello, garbage: one connection after another; hello and garbage ones are left open for a while."""
    made = failed = 0
    hello = client_hello()
    held = []
    i = worker
    while time.monotonic() < end:
        i += args.processes
        try:
            s = connect(source(i))
        except OSError:
            failed += 1
            continue
        made += 1
        if args.kind == "refused":
            s.close()
            continue
        try:
            if args.kind == "hello":
                s.sendall(hello)
            else:
                s.sendall(b"\x16\x03\x01\x40" if i % 2 else os.urandom(200))
        except OSError:
            failed += 1
        held.append(s)
        # Silent peers the server has to time out: the oldest are let go once many are open.
        if len(held) > 400:
            for old in held[:200]:
                old.close()
            del held[:200]
    for s in held:
        s.close()
    totals.put((made, failed))


def valid(worker, end, totals):
    """valid: back-to-back exchanges, each from the next address of 127.1.0.0/16 (a /16 lasts far beyond 600 s)."""
    made = failed = 0
    i = worker
    while time.monotonic() < end:
        i += args.processes
        made += 1
        failed += not exchange(f"127.1.{(i >> 8) & 0xff}.{i & 0xff or 1}")
    totals.put((made, failed))


def probe():
    end = time.monotonic() + args.seconds
    i = 0
    while time.monotonic() < end:
        started = time.monotonic()
        ok = exchange(f"127.0.1.{1 + i % 16}")
        print(f"{time.time():.3f},{int(ok)},{1000 * (time.monotonic() - started):.1f}", flush=True)
        i += 1
        time.sleep(max(0.0, 0.5 - (time.monotonic() - started)))


def hold(worker, end, totals):
    """idle: every address keeps --per-address connections open; a connection the server closed is replaced."""
    made = failed = 0
    addresses = [source(i) for i in range(worker, args.addresses + 1, args.processes)]
    held = {a: [] for a in addresses}
    while time.monotonic() < end:
        for address, conns in held.items():
            alive = []
            for s in conns:
                try:
                    gone = s.recv(1, socket.MSG_DONTWAIT) == b""
                except BlockingIOError:
                    gone = False
                except OSError:
                    gone = True
                if gone:
                    s.close()
                else:
                    alive.append(s)
            while len(alive) < args.per_address and time.monotonic() < end:
                try:
                    alive.append(connect(address))
                    made += 1
                except OSError:
                    failed += 1
                    break
            held[address] = alive
        time.sleep(0.2)
    for conns in held.values():
        for s in conns:
            s.close()
    totals.put((made, failed))


if __name__ == "__main__":
    if args.kind == "probe":
        probe()
        raise SystemExit(0)
    end = time.monotonic() + args.seconds
    totals = multiprocessing.Queue()
    target = {"idle": hold, "valid": valid}.get(args.kind, churn)
    workers = [multiprocessing.Process(target=target, args=(w, end, totals)) for w in range(args.processes)]
    for w in workers:
        w.start()
    results = [totals.get(timeout=args.seconds + 60) for _ in workers]
    for w in workers:
        w.join()
    print(json.dumps({"kind": args.kind, "seconds": args.seconds, "connections": sum(r[0] for r in results),
                      "failed": sum(r[1] for r in results)}))
