"""Steps per 4-s bin of each measured replay of an --record-steps run: number of steps / mean
decoding calls per step. usage: python timeline.py OUT"""
import json
import sys
from pathlib import Path

out = Path(sys.argv[1])
rows = [json.loads(x) for x in (out / "rows.jsonl").read_text().splitlines() if x.strip()]
rows = sorted((r for r in rows if r.get("rep") is not None), key=lambda r: (r["rep"], r["sched"]))
B = 4.0
for r in rows:
    log = out / f"steps-{r['sched']}-c{r['cmd']}.jsonl"
    w = r["wall"]
    bins: dict[int, list[int]] = {}
    for line in log.read_text().splitlines():
        d = json.loads(line)
        if "step" in d and w[0] <= d["t"] <= w[1]:
            s = bins.setdefault(int((d["t"] - w[0]) // B), [0, 0])
            s[0] += 1
            s[1] += d["step"][4]
    cells = " ".join(f"{s[0]:4d}/{s[1] / max(1, s[0]):.1f}" for _, s in sorted(bins.items()))
    print(f"{r['sched']:8s} rep{r['rep']} {cells}")
