#!/usr/bin/env python3
"""Sums an NTS-KE flood run (scripts/bench/ntske-flood.sh): per flood the server's RSS before, at its peak and after
the settle time, anonymous memory, GC, threads, descriptors and the legitimate client's success rate; and a chart.
Usage: ntske_flood_report.py DIR"""
import csv
import json
import os
import sys

from samplechart import per_interval, read_samples, svg

LIMIT_PERCENT = 10
out = sys.argv[1]
rows = read_samples(os.path.join(out, "samples.csv"))
phases = [(r["phase"], float(r["start_unix"])) for r in csv.DictReader(open(os.path.join(out, "phases.csv")))]
probes = [(float(r["unix_time"]), r["ok"] == "1") for r in csv.DictReader(open(os.path.join(out, "probe.csv")))]


def phase_of(t):
    name = None
    for phase, start in phases:
        if start <= t:
            name = phase
    return name


def success(phase):
    tries = [ok for t, ok in probes if phase_of(t) == phase]
    return f"{sum(tries)}/{len(tries)}" if tries else "-"


def mb(kb):
    return kb / 1024


kinds = [p.split(":", 1)[1] for p, _ in phases if p.startswith("flood:")]
lines = []
worst = 0.0
for kind in kinds:
    before = [r for r in rows if r["phase"] == f"before:{kind}"]
    flood = [r for r in rows if r["phase"] == f"flood:{kind}"]
    after = [r for r in rows if r["phase"] == f"after:{kind}"]
    if not before or not flood or not after:
        lines.append(f"{kind}: not enough samples")
        continue
    b, a = before[-1], after[-1]
    peak = max(r["rss_kb"] for r in flood + after)
    change = 100.0 * (a["rss_kb"] - b["rss_kb"]) / b["rss_kb"]
    worst = max(worst, change)
    made = json.load(open(os.path.join(out, f"flood-{kind}.json")))
    lines.append(
        f"{kind}: {made['connections']} connections in {made['seconds']:.0f} s. RSS before {mb(b['rss_kb']):.1f} MB, "
        f"peak {mb(peak):.1f}, after {mb(a['rss_kb']):.1f}: within {change:+.1f} % "
        f"({'ok' if change <= LIMIT_PERCENT else 'OVER ' + str(LIMIT_PERCENT) + ' %'}); "
        f"anon {mb(b['anon_kb']):.1f} -> {mb(a['anon_kb']):.1f} MB, GC committed {mb(b['gc_committed_kb']):.1f} -> "
        f"{mb(a['gc_committed_kb']):.1f} MB, threads {b['threads']:.0f} -> max {max(r['threads'] for r in flood):.0f} -> "
        f"{a['threads']:.0f}, descriptors {b['fds']:.0f} -> max {max(r['fds'] for r in flood):.0f} -> {a['fds']:.0f}; "
        f"legitimate client ok {success('before:' + kind)} before, {success('flood:' + kind)} during, "
        f"{success('after:' + kind)} after")
lines.append(f"largest RSS change after a flood: {worst:+.1f} % (limit {LIMIT_PERCENT} %)")
first = [r for r in rows if r["phase"] == f"before:{kinds[0]}"] if kinds else []
last = [r for r in rows if r["phase"] == f"after:{kinds[-1]}"] if kinds else []
if first and last:
    lines.append(f"RSS before the first flood {mb(first[-1]['rss_kb']):.1f} MB, after the last {mb(last[-1]['rss_kb']):.1f} MB "
                 f"({100.0 * (last[-1]['rss_kb'] - first[-1]['rss_kb']) / first[-1]['rss_kb']:+.1f} %)")
print("\n".join(lines))

times = [r["time_s"] for r in rows]
spans = []
for phase in {r["phase"] for r in rows if r["phase"].startswith("flood:")}:
    t = [r["time_s"] for r in rows if r["phase"] == phase]
    spans.append((min(t), max(t), phase.split(":", 1)[1]))
t0 = phases[0][1] - times[0] if phases else 0
probe_times = sorted(t - phases[0][1] + times[0] for t, _ in probes) if phases else []
panels = [("server RSS (MB)", [mb(r["rss_kb"]) for r in rows], "#1f77b4"),
          ("anonymous memory (MB)", [mb(r["anon_kb"]) for r in rows], "#17becf"),
          ("GC committed (MB)", [mb(r["gc_committed_kb"]) for r in rows], "#9467bd"),
          ("threads", [r["threads"] for r in rows], "#ff7f0e"),
          ("open descriptors", [r["fds"] for r in rows], "#2ca02c"),
          ("GC gen0 collections per second", per_interval(rows, "gc0"), "#8c564b")]
svg(os.path.join(out, "flood.svg"), "NTS-KE floods: " + ", ".join(kinds), panels, times, spans)
