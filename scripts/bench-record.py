#!/usr/bin/env python3
"""bench-record.py GROUP RESULTS ROW ANCHOR [ROW ANCHOR ...]

Appends swiftrun's rows and their anchors, from a bench script's results
(hyperfine's --export-json shape: results[].command and .median, seconds),
to the JSON-lines file BENCH_JSON names, for bench-plot.py. Without
BENCH_JSON it does nothing: each script still runs alone."""
import json, os, sys

out = os.environ.get("BENCH_JSON")
if out:
    group, results, pairs = sys.argv[1], sys.argv[2], sys.argv[3:]
    medians = {r["command"]: r["median"] for r in json.load(open(results))["results"]}
    with open(out, "a") as f:
        for row, anchor in zip(pairs[::2], pairs[1::2]):
            if row in medians and anchor in medians:
                f.write(json.dumps({"group": group, "row": row, "seconds": medians[row],
                                    "anchor": anchor, "anchor_seconds": medians[anchor],
                                    "ratio": medians[row] / medians[anchor]}) + "\n")
