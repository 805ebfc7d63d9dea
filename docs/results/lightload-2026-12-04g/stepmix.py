"""Within-class step composition of an --record-steps run: per replay and class, the mean
prefill tokens, prefill context+tokens (kv) and context per decoding call.
usage: PYTHONPATH=<repo> python stepmix.py OUT"""
import json
import sys
from collections import defaultdict
from pathlib import Path

from vllm_nexus.sim.fit import read_log

out = Path(sys.argv[1])
for r in (json.loads(x) for x in (out / "rows.jsonl").read_text().splitlines() if x.strip()):
    if r.get("rep") is None:
        continue
    steps, _ = read_log(out / f"steps-{r['sched']}-c{r['cmd']}.jsonl", "wall", tuple(r["wall"]))
    acc = defaultdict(lambda: [0, 0.0, 0.0, 0.0, 0.0])
    for c, _ in steps:
        k = f"{'P+' if c[0] else ''}{min(int(c[4]), 3)}d"
        a = acc[k]
        a[0] += 1
        a[1] += c[1]
        a[2] += c[3]
        a[3] += c[5] / c[4] if c[4] else 0.0
        a[4] += c[0]
    print(f"{r['sched']:6s} {r['tag']:8s} " + "  ".join(
        f"{k}: tok {a[1] / a[0]:.0f} kv {a[2] / a[0]:.0f} dctx {a[3] / a[0]:.0f} npre {a[4] / a[0]:.2f}"
        for k, a in sorted(acc.items()) if a[0] > 200))
