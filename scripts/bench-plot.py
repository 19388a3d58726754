#!/usr/bin/python3
"""bench-plot.py ROWS JSON PNG: make bench's figures in one document and
one picture. ROWS is the JSON-lines file the bench scripts appended to
(bench-record.py); JSON gets them as one list with the machine they were
measured on; PNG shows each of swiftrun's times beside its anchor's, as a
fraction of the anchor's, with both medians written on the bars."""
import json, os, platform, sys, time

import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt

rows_path, json_path, png_path = sys.argv[1:4]
rows = [json.loads(line) for line in open(rows_path) if line.strip()]
json.dump({"measured": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
           "machine": {"kernel": platform.release(), "cpus": os.cpu_count()},
           "rows": rows}, open(json_path, "w"), indent=2)


def show(seconds):
    return f"{seconds * 1000:.1f} ms" if seconds < 1 else f"{seconds:.2f} s"


labels = [f"{r['group']}\n{r['row']} vs {r['anchor']}" for r in rows]
fig, ax = plt.subplots(figsize=(9, 0.55 * len(rows) + 1.2))
y = range(len(rows))
ax.barh([i + 0.2 for i in y], [1.0] * len(rows), height=0.4, color="#b0b0b0", label="anchor (= 1)")
ax.barh([i - 0.2 for i in y], [r["ratio"] for r in rows], height=0.4, color="#2a7ab0", label="swiftrun")
for i, r in enumerate(rows):
    ax.text(1.02, i + 0.2, show(r["anchor_seconds"]), va="center", fontsize=8)
    ax.text(r["ratio"] + 0.02, i - 0.2, f"{show(r['seconds'])}  ({r['ratio']:.2f}x)", va="center", fontsize=8)
ax.set_yticks(list(y), labels, fontsize=8)
ax.invert_yaxis()
ax.axvline(1.0, color="black", linewidth=0.5)
ax.set_xlim(0, max([1.0] + [r["ratio"] for r in rows]) * 1.35)
ax.set_xlabel("time as a fraction of the anchor's (median; shorter is faster)")
ax.set_title(f"make bench on {os.cpu_count()} cores, {time.strftime('%Y-%m-%d', time.gmtime())}")
ax.legend(loc="lower right", fontsize=8)
fig.tight_layout()
fig.savefig(png_path, dpi=110)
print(f"make bench: {len(rows)} rows in {json_path}, drawn in {png_path}")
