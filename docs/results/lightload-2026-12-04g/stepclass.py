"""Engine steps of an `interleaved_replay.py --record-steps` run, by composition class: for each
measured replay and each class (number of decoding calls, with or without a prefill), the number
of steps, the mean step period (vllm_nexus.sim.fit.read_log, wall clock) and the mean forward
time (from the end of schedule() to the end of update_from_output(), minus the latter's own CPU:
the executor's part of the step, wall clock).
usage: PYTHONPATH=<repo> python stepclass.py OUT [CLASSES]"""
import json
import sys
from collections import defaultdict
from pathlib import Path

from vllm_nexus.sim.fit import read_log

out = Path(sys.argv[1])
rows = [json.loads(x) for x in (out / "rows.jsonl").read_text().splitlines() if x.strip()]


def cls(c):
    return f"{'P+' if c[0] else ''}{min(int(c[4]), 3)}d"


table = {}
for r in rows:
    if r.get("rep") is None:
        continue
    log = out / f"steps-{r['sched']}-c{r['cmd']}.jsonl"
    w = tuple(r["wall"])
    steps, _ = read_log(log, "wall", w)
    per = defaultdict(list)
    for c, p in steps:
        per[cls(c)].append(p)
    fwd = defaultdict(list)
    cur = None
    for line in log.read_text().splitlines():
        d = json.loads(line)
        if "step" in d:
            cur = d if w[0] <= d["t"] <= w[1] else None
        elif "end" in d and cur is not None:
            fwd[cls(cur["step"])].append(d["end"] - cur["ts"] - d.get("uc", 0.0))
            cur = None
    table[f"{r['sched']} {r['tag']}"] = {k: (len(v), sum(v) / len(v), sum(fwd[k]) / len(fwd[k]))
                                         for k, v in per.items()}
classes = sorted({k for v in table.values() for k in v}, key=lambda k: (k.startswith("P"), k))
classes = [k for k in classes if sum(v.get(k, (0,))[0] for v in table.values()) > 200]
print("steps / mean period ms / mean forward ms, by class (P+: with a prefill; Nd: N decoding "
      "calls, 3 = 3 or more)\n")
print("| replay | " + " | ".join(classes) + " |")
print("|---" * (len(classes) + 1) + "|")
for name, v in table.items():
    cells = [f"{v[k][0]} / {1e3 * v[k][1]:.2f} / {1e3 * v[k][2]:.2f}" if k in v else "-"
             for k in classes]
    print(f"| {name} | " + " | ".join(cells) + " |")
