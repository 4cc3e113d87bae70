"""Shared by soak_report.py and ntske_flood_report.py: reads the sampler's CSV (scripts/bench/sampler.sh) and draws
panels of values over time as one SVG, with optional shaded spans (a flood's phase)."""
import csv


def read_samples(path):
    """The sampler's rows, numbers as numbers (the phase stays text)."""
    rows = []
    for row in csv.DictReader(open(path)):
        rows.append({k: (v if k == "phase" else float(v or 0)) for k, v in row.items()})
    return rows


def per_interval(rows, column):
    """Increments of a cumulative column (GC collections, pause time) between consecutive samples."""
    values = [r[column] for r in rows]
    return [max(b - a, 0) for a, b in zip(values, values[1:])]


def svg(path, title, panels, times=None, spans=()):
    """panels: (title, values, colour); times: x for each value of a full-length panel (else evenly spaced);
    spans: (start, end, label) in the same unit as times, shaded on every panel."""
    width, height, gap, left = 800, 110, 40, 60
    t0 = times[0] if times else 0
    t1 = times[-1] if times else 1
    scale = width / max(t1 - t0, 1e-9)
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width + 100}" height="{len(panels) * (height + gap) + 40}" '
           'font-family="sans-serif" font-size="12">',
           f'<text x="10" y="20" font-size="14">{title}</text>']
    for i, (name, values, colour) in enumerate(panels):
        top = 40 + i * (height + gap)
        vmax = max(values) * 1.1 if values and max(values) > 0 else 1
        out.append(f'<text x="{left}" y="{top - 6}">{name} (max {max(values) if values else 0:.0f})</text>')
        for start, end, label in spans:
            x = left + (start - t0) * scale
            out.append(f'<rect x="{x:.1f}" y="{top}" width="{(end - start) * scale:.1f}" height="{height}" fill="#f4e3c1"/>')
            if i == 0:
                out.append(f'<text x="{x:.1f}" y="{top + 12}" font-size="10">{label}</text>')
        out.append(f'<rect x="{left}" y="{top}" width="{width}" height="{height}" fill="none" stroke="#ccc"/>')
        out.append(f'<text x="5" y="{top + 10}">{vmax:.0f}</text><text x="5" y="{top + height}">0</text>')
        if values:
            xs = times[-len(values):] if times and len(times) >= len(values) else None
            step = width / max(len(values) - 1, 1)
            points = " ".join(
                f"{(left + (xs[j] - t0) * scale) if xs else left + j * step:.1f},{top + height - height * v / vmax:.1f}"
                for j, v in enumerate(values))
            out.append(f'<polyline fill="none" stroke="{colour}" stroke-width="1.5" points="{points}"/>')
    out.append("</svg>")
    open(path, "w").write("\n".join(out))
