#!/usr/bin/env python3
"""Sums a soak run (scripts/bench/soak.sh) and charts it: server RSS, threads, descriptors and GC over time,
lost and invalid replies per round. Usage: soak_report.py DIR MINUTES SHARE PLAIN_RATE NTS_RATE NTSKE_CLIENTS"""
import csv
import glob
import json
import os
import re
import sys

out, minutes, share, plain_rate, nts_rate, ke_clients = sys.argv[1:7]


def rounds(kind):
    files = glob.glob(os.path.join(out, f"{kind}-*.json"))
    return [json.load(open(f)) for f in sorted(files, key=lambda f: int(re.search(r"-(\d+)\.json$", f).group(1)))]


samples = list(csv.DictReader(open(os.path.join(out, "samples.csv"))))
gc = []
counters_path = os.path.join(out, "counters.csv")
if os.path.exists(counters_path):
    for row in csv.DictReader(open(counters_path)):
        gc.append(row)

lines = [f"soak: {minutes} min at {share} of capacity: plain {plain_rate}/s, NTS {nts_rate}/s, NTS-KE {ke_clients} client(s)"]
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


def counter(name_part):
    """Per-interval increments of the dotnet-counters rows whose name contains name_part."""
    return [float(r["Mean/Increment"]) for r in gc if name_part in r.get("Counter Name", "") and r.get("Mean/Increment")]


gen_counts = {g: counter(f"gen{g}") for g in (0, 1, 2)}
pause = counter("pause")
if gc:
    lines.append("GC (dotnet-counters, per 5 s interval): " + ", ".join(
        f"gen{g} {sum(v):.0f}" for g, v in gen_counts.items() if v) + (f"; pause time {sum(pause):.3f} s in all" if pause else ""))
print("\n".join(lines))


def polyline(values, width, height, top, colour, vmax):
    if not values:
        return ""
    vmax = vmax or 1
    step = width / max(len(values) - 1, 1)
    points = " ".join(f"{60 + i * step:.1f},{top + height - height * v / vmax:.1f}" for i, v in enumerate(values))
    return f'<polyline fill="none" stroke="{colour}" stroke-width="1.5" points="{points}"/>'


panels = [("server RSS (MB)", [int(s["rss_kb"]) / 1024 for s in samples], "#1f77b4"),
          ("threads", [int(s["threads"]) for s in samples], "#ff7f0e"),
          ("open descriptors", [int(s["fds"]) for s in samples], "#2ca02c"),
          ("GC gen0 collections per 5 s", gen_counts[0], "#9467bd")]
panels += [(f"{kind} lost+invalid per round", values, "#d62728") for kind, values in per_round]
width, height, gap = 800, 110, 40
svg = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width + 100}" height="{len(panels) * (height + gap) + 40}" '
       'font-family="sans-serif" font-size="12">',
       f'<text x="10" y="20" font-size="14">{lines[0]}</text>']
for i, (title, values, colour) in enumerate(panels):
    top = 40 + i * (height + gap)
    vmax = max(values) * 1.1 if values and max(values) > 0 else 1
    svg.append(f'<text x="60" y="{top - 6}">{title} (max {max(values) if values else 0:.0f})</text>')
    svg.append(f'<rect x="60" y="{top}" width="{width}" height="{height}" fill="none" stroke="#ccc"/>')
    svg.append(f'<text x="5" y="{top + 10}">{vmax:.0f}</text><text x="5" y="{top + height}">0</text>')
    svg.append(polyline(values, width, height, top, colour, vmax))
svg.append("</svg>")
open(os.path.join(out, "soak.svg"), "w").write("\n".join(svg))
