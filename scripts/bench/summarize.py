#!/usr/bin/env python3
"""Turns fastntp-load JSON results into the markdown tables of bench/RESULTS.md (throughput and NTS throughput).

Runs are recognised by file name (what scripts/bench/throughput.sh writes): reflector, chrony,
fastntp-w1-pinned, fastntp-nts, chrony-nts; any other file is listed but not used in a ratio. Files of
`fastntp-load ntske` ("kind": "ntske", e.g. ntske-ec, ntske-rsa) go into the NTS-KE handshake table.
"""
import argparse
import json
import os

parser = argparse.ArgumentParser()
parser.add_argument("--machine", default="")
parser.add_argument("--prio", default="")
parser.add_argument("--note", default="", help="a line printed under the machine, e.g. the load average")
parser.add_argument("results", nargs="+")
args = parser.parse_args()

runs = {}
handshakes = {}
for path in args.results:
    with open(path) as f:
        data = json.load(f)
    name = os.path.splitext(os.path.basename(path))[0]
    (handshakes if data.get("kind") == "ntske" else runs)[name] = data


def best_step(run):
    """The step with the highest answered rate under 1 % loss (the generator's own rule), or None."""
    best = None
    for s in run["steps"]:
        if s["sent"] > 0 and s["loss_pct"] < 1.0 and (best is None or s["answered_rate"] > best["answered_rate"]):
            best = s
    return best


def per_cpu(step):
    return step.get("requests_per_server_cpu_s") if step else None


def fmt(value, pattern="{:,.0f}"):
    return "-" if value is None else pattern.format(value)


def user_ns(step):
    """Server user-space CPU (utime) per answered request in ns; None for files from before the user/kernel split."""
    return step.get("server_user_ns_per_request") if step else None


def kernel_ns(step):
    return step.get("server_kernel_ns_per_request") if step else None


print(f"Machine: {args.machine}; scheduling: {args.prio}")
if args.note:
    print(f"\n{args.note}")
print()
print("| run | server | mode | gen. threads | best answered/s at <1% loss | at offered/s (sent/s) | server CPU % there "
      "| answered per server CPU-second there | server user ns/request there | server kernel ns/request there | generator CPU % there |")
print("|---|---|---|---|---:|---|---:|---:|---:|---:|---:|")
for name, r in runs.items():
    s = best_step(r)
    where = f"{s['offered_rate']:,.0f} ({s['sent'] / s['duration_s']:,.0f})" if s else "-"
    print(f"| {name} | {r['label']} | {r.get('mode', 'ntp')} | {r['threads']} | {fmt(s['answered_rate'] if s else 0)} | {where} | "
          f"{fmt(s.get('server_cpu_pct') if s else None, '{:.1f}')} | {fmt(per_cpu(s))} | {fmt(user_ns(s))} | {fmt(kernel_ns(s))} | "
          f"{fmt(s.get('generator_cpu_pct') if s else None, '{:.1f}')} |")


def ratio(numerator, denominator, target, what):
    a, b = runs.get(numerator), runs.get(denominator)
    if not a or not b:
        return f"| {what} | {numerator} ÷ {denominator} | ≥ {target} | (not measured) | (not measured) |"
    sa, sb = best_step(a), best_step(b)
    by_rate = sa["answered_rate"] / sb["answered_rate"] if sa and sb and sb["answered_rate"] else None
    ca, cb = per_cpu(sa), per_cpu(sb)
    by_cpu = ca / cb if ca and cb else None

    def verdict(x):
        return "-" if x is None else f"{x:.2f} ({'met' if x >= target else 'not met'})"

    return f"| {what} | {numerator} ÷ {denominator} | ≥ {target} | {verdict(by_rate)} | {verdict(by_cpu)} |"


print("\n| ratio | runs | target | by answered/s (<1% loss) | by answered per server CPU-second |")
print("|---|---|---:|---:|---:|")
print(ratio("fastntp-w1-pinned", "reflector", 0.9, "FastNtp plain ÷ C reflector (issue 3)"))
print(ratio("fastntp-w1-pinned", "chrony", 1.5, "FastNtp plain ÷ chrony plain (issue 3)"))
print(ratio("fastntp-nts", "fastntp-w1-pinned", 0.75, "FastNtp NTS ÷ FastNtp plain (issue 5)"))
print(ratio("fastntp-nts", "chrony-nts", 2, "FastNtp NTS ÷ chrony NTS (issue 5)"))

# User-space CPU per answered request at each run's best step: on loopback the kernel's per-packet work is about the
# same for every server and dominates the total, so the user share is the fair per-core comparison of the code itself.
print("\n| run | server | user-space CPU ns per answered request (best step) | kernel CPU ns per answered request |")
print("|---|---|---:|---:|")
for name in ("reflector", "chrony", "fastntp-w1-pinned", "chrony-nts", "fastntp-nts"):
    if name in runs:
        s = best_step(runs[name])
        print(f"| {name} | {runs[name]['label']} | {fmt(user_ns(s))} | {fmt(kernel_ns(s))} |")


def user_ratio(numerator, denominator, what):
    a, b = runs.get(numerator), runs.get(denominator)
    ua = user_ns(best_step(a)) if a else None
    ub = user_ns(best_step(b)) if b else None
    value = f"{ua / ub:.2f}" if ua and ub else "(not measured)"
    return f"| {what} | {numerator} ÷ {denominator} | {value} |"


print("\n| user-space CPU ratio | runs | chrony ns ÷ FastNtp ns |")
print("|---|---|---:|")
print(user_ratio("chrony", "fastntp-w1-pinned", "plain NTP"))
print(user_ratio("chrony-nts", "fastntp-nts", "NTS"))

if handshakes:
    print("\n| NTS-KE run | server | clients | window s | exchanges/s | failures | p50 ms | p99 ms | server CPU % "
          "| server CPU µs per exchange | user µs | kernel µs | generator CPU % |")
    print("|---|---|---:|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|")
    for name, h in handshakes.items():
        kinds = ", ".join(f"{k}={v}" for k, v in sorted(h.get("failures_by_kind", {}).items()))
        print(f"| {name} | {h['label']} | {h['clients']} | {h['window_s']:.2f} | {h['exchanges_per_s']:,.1f} | "
              f"{h['failures']}{' (' + kinds + ')' if kinds else ''} | {h['p50_ns'] / 1e6:.2f} | {h['p99_ns'] / 1e6:.2f} | "
              f"{fmt(h.get('server_cpu_pct'), '{:.1f}')} | {fmt(h.get('server_cpu_us_per_exchange'))} | "
              f"{fmt(h.get('server_user_us_per_exchange'))} | {fmt(h.get('server_kernel_us_per_exchange'))} | "
              f"{fmt(h.get('generator_cpu_pct'), '{:.1f}')} |")
    for name, h in handshakes.items():
        print(f"\n`{h['command']}` ({h['started']})")

for name, r in runs.items():
    print(f"\n**{r['label']}** ({name}, {r.get('mode', 'ntp')}) — `{r['command']}` ({r['started']})\n")
    print("| offered/s | sent/s | answered/s | loss % | invalid | p50 µs | p99 µs | p99.9 µs | server CPU % | answered/server CPU-s "
          "| server user ns/req | server kernel ns/req | generator CPU % |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for s in r["steps"]:
        sent_rate = s["sent"] / s["duration_s"]
        invalid = f"{s['invalid']}" + (f" ({s['invalid_reasons']})" if s["invalid"] else "")
        print(f"| {s['offered_rate']:,.0f} | {sent_rate:,.0f} | {s['answered_rate']:,.0f} | {s['loss_pct']:.3f} | {invalid} | "
              f"{s['p50_ns'] / 1000:.1f} | {s['p99_ns'] / 1000:.1f} | {s['p999_ns'] / 1000:.1f} | "
              f"{fmt(s.get('server_cpu_pct'), '{:.1f}')} | {fmt(s.get('requests_per_server_cpu_s'))} | {fmt(user_ns(s))} | {fmt(kernel_ns(s))} | "
              f"{fmt(s.get('generator_cpu_pct'), '{:.1f}')} |")
