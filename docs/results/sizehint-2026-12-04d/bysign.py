"""From diag2.py's per-program JSON lines: the change of the run's mean program token latency
(hinted - unhinted, ms/token) split by the sign of each program's hint error z = log(hint /
calls), and the same for the programs whose hint overstates by e or more (z >= 1).
Usage: python bysign.py FILE.jsonl..."""

import json
import math
import sys

for f in sys.argv[1:]:
    rows = [json.loads(line) for line in open(f)]
    n = len(rows)
    for sig, key in (("0.5", "hint05"), ("1.0", "hint1")):
        parts = {"z<0": 0.0, "0<=z<1": 0.0, "z>=1": 0.0}
        counts = dict.fromkeys(parts, 0)
        for r in rows:
            z = math.log(r[key] / r["calls"])
            k = "z<0" if z < 0 else "0<=z<1" if z < 1 else "z>=1"
            parts[k] += (r["lat"][sig] - r["lat"]["None"]) / n * 1e3
            counts[k] += 1
        tot = sum(parts.values())
        cells = " | ".join(f"{k} ({counts[k]} programs) {v:+.2f}" for k, v in parts.items())
        print(f"{f} sigma {sig}: total {tot:+.2f} ms/token = {cells}")
