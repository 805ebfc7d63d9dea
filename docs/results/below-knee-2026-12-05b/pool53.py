"""Every replay of the default vs stock on `agentic` seed 53 at 3 programs/s (same repetition,
same command): ratio stock ms/token / default ms/token, per run and pooled (geometric mean).
usage: python pool53.py ROWS.jsonl..."""
import json
import math
import sys

allr = []
for path in sys.argv[1:]:
    rows = [json.loads(x) for x in open(path) if x.strip()]
    rows = [r for r in rows if r.get("rep") is not None and r["rate"] == 3.0]
    out = []
    for rep in sorted({r["rep"] for r in rows}):
        s = [r for r in rows if r["rep"] == rep and r["sched"] == "stock"]
        d = [r for r in rows if r["rep"] == rep and r["sched"] == "default"]
        if s and d:
            out.append(s[0]["mean"] / d[0]["mean"])
    allr += out
    print(path, " ".join(f"{x:.2f}" for x in out))
logs = [math.log(x) for x in allr]
m = sum(logs) / len(logs)
sd = (sum((x - m) ** 2 for x in logs) / (len(logs) - 1)) ** 0.5
print(f"{len(allr)} replays: geo-mean {math.exp(m):.3f}, log sd {sd:.3f}, "
      f"95% interval of the geo-mean {math.exp(m - 2.145 * sd / len(logs) ** 0.5):.3f}-"
      f"{math.exp(m + 2.145 * sd / len(logs) ** 0.5):.3f} (t, {len(logs) - 1} df)")
