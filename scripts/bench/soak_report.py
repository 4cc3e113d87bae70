#!/usr/bin/env python3
"""Sums a soak run (scripts/bench/soak.sh) and charts it: server RSS, threads, descriptors and GC over time,
lost and invalid replies per round. Usage: soak_report.py DIR MINUTES SHARE PLAIN_RATE NTS_RATE NTSKE_RATE NTSKE_CLIENTS"""
import glob
import json
import os
import re
import sys

from samplechart import per_interval, read_samples, svg

out, minutes, share, plain_rate, nts_rate, ke_rate, ke_clients = sys.argv[1:8]


def rounds(kind):
    files = glob.glob(os.path.join(out, f"{kind}-*.json"))
    return [json.load(open(f)) for f in sorted(files, key=lambda f: int(re.search(r"-(\d+)\.json$", f).group(1)))]


samples = read_samples(os.path.join(out, "samples.csv"))

lines = [f"soak: {minutes} min at {share} of capacity: plain {plain_rate}/s, NTS {nts_rate}/s, NTS-KE {ke_rate}/s ({ke_clients} clients)"]
per_round = []
for kind in ("plain", "nts"):
    runs = rounds(kind)
    sent = sum(s["sent"] for r in runs for s in r["steps"])
    replies = sum(s["replies"] for r in runs for s in r["steps"])
    invalid = sum(s["invalid"] for r in runs for s in r["steps"])
    skipped = sum(s["skipped"] for r in runs for s in r["steps"])
    lines.append(f"{kind}: {len(runs)} rounds, sent {sent}, replies {replies}, lost {sent - replies} "
                 f"({100.0 * (sent - replies) / max(sent, 1):.4f} %), invalid {invalid}, skipped by the generator {skipped}")
    per_round.append((kind, [sum(s["sent"] - s["replies"] for s in r["steps"]) + sum(s["invalid"] for s in r["steps"]) for r in runs]))
ke = rounds("ntske")
lines.append(f"ntske: {len(ke)} rounds, exchanges {sum(r['exchanges'] for r in ke)}, failures {sum(r['failures'] for r in ke)}")
per_round.append(("ntske failures", [r["failures"] for r in ke]))

if samples:
    rss = [int(s["rss_kb"]) // 1024 for s in samples]
    threads = [int(s["threads"]) for s in samples]
    fds = [int(s["fds"]) for s in samples]
    lines.append(f"RSS MB first/min/max/last: {rss[0]}/{min(rss)}/{max(rss)}/{rss[-1]}; threads {min(threads)}-{max(threads)}; "
                 f"open descriptors {min(fds)}-{max(fds)}")
    first, last = samples[0], samples[-1]
    lines.append("GC (server /metrics): " + ", ".join(f"gen{g} {last[f'gc{g}'] - first[f'gc{g}']:.0f}" for g in (0, 1, 2))
                 + f"; pause time {last['gc_pause_s'] - first['gc_pause_s']:.3f} s in all")
print("\n".join(lines))

panels = [("server RSS (MB)", [s["rss_kb"] / 1024 for s in samples], "#1f77b4"),
          ("threads", [s["threads"] for s in samples], "#ff7f0e"),
          ("open descriptors", [s["fds"] for s in samples], "#2ca02c"),
          ("GC gen0 collections per 5 s", per_interval(samples, "gc0"), "#9467bd")]
panels += [(f"{kind} lost+invalid per round", values, "#d62728") for kind, values in per_round]
svg(os.path.join(out, "soak.svg"), lines[0], panels)
