#!/usr/bin/env python3
"""Turns fastntp-load JSON results into the markdown tables of bench/RESULTS.md (throughput section)."""
import argparse
import json

parser = argparse.ArgumentParser()
parser.add_argument("--machine", default="")
parser.add_argument("--prio", default="")
parser.add_argument("results", nargs="+")
args = parser.parse_args()

runs = [json.load(open(path)) for path in args.results]
print(f"Machine: {args.machine}; scheduling: {args.prio}\n")
print("| server | clients | generator threads | best answered/s at <1% loss | at offered/s (sent/s) | vs reflector (1 core) | vs chrony (1 core) |")
print("|---|---|---|---|---|---|---|")


def best_of(prefix):
    return next((r["best_answered_rate_under_1pct_loss"] for r in runs if r["label"].startswith(prefix)), None)


reflector, chrony = best_of("C reflector (1 core)"), best_of("chrony")
for r in runs:
    best = r["best_answered_rate_under_1pct_loss"]
    vs_reflector = f"{best / reflector:.2f}" if reflector else "-"
    vs_chrony = f"{best / chrony:.2f}" if chrony else "-"
    # Where the best step sent clearly less than offered, the generator (or the shared cores) was the limit.
    at = next((s for s in r["steps"] if s["answered_rate"] == best and s["loss_pct"] < 1.0), None)
    where = f"{at['offered_rate']:,.0f} ({at['sent'] / at['duration_s']:,.0f})" if at else "-"
    print(f"| {r['label']} | {r['clients']} | {r['threads']} | {best:,.0f} | {where} | {vs_reflector} | {vs_chrony} |")

for r in runs:
    print(f"\n**{r['label']}** — `{r['command']}` ({r['started']})\n")
    print("| offered/s | sent/s | answered/s | loss % | invalid | p50 µs | p99 µs | p99.9 µs |")
    print("|---|---|---|---|---|---|---|---|")
    for s in r["steps"]:
        sent_rate = s["sent"] / s["duration_s"]
        print(f"| {s['offered_rate']:,.0f} | {sent_rate:,.0f} | {s['answered_rate']:,.0f} | {s['loss_pct']:.3f} | {s['invalid']} | "
              f"{s['p50_ns'] / 1000:.1f} | {s['p99_ns'] / 1000:.1f} | {s['p999_ns'] / 1000:.1f} |")
