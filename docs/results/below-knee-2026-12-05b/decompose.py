"""Where the default's extra engine time goes, per repetition of an --record-steps run: the
engine-clock busy time (wall minus CPU waits, vllm_nexus.sim.fit.read_log(clock="engine")) of
the default minus stock's, split by step class (decoding calls 0..8, with or without a prefill
chunk) into a count effect (the default's extra steps of a class at stock's mean period of
that class) and a cost effect (the default's steps at its own mean period minus stock's).
Also the scheduler's own CPU per step (schedule + update_from_output, thread CPU).
usage: PYTHONPATH=<repo> python decompose.py OUT [BASE] [OTHER] [RATE]"""
import json
import sys
from collections import defaultdict
from pathlib import Path

from vllm_nexus.sim.fit import read_log

out = Path(sys.argv[1])
base = sys.argv[2] if len(sys.argv) > 2 else "stock"
other = sys.argv[3] if len(sys.argv) > 3 else "default"
rows = [json.loads(x) for x in (out / "rows.jsonl").read_text().splitlines() if x.strip()]
rows = [r for r in rows if r.get("rep") is not None]
if len(sys.argv) > 4:  # one rate of a --rates run
    rows = [r for r in rows if r["rate"] == float(sys.argv[4])]


def per_class(r, clock):
    log = out / f"steps-{r['sched']}-c{r['cmd']}.jsonl"
    acc = defaultdict(lambda: [0, 0.0])
    for c, p in read_log(log, clock, tuple(r["wall"]))[0]:
        k = ("P" if c[0] else "D", int(c[4]))
        acc[k][0] += 1
        acc[k][1] += p
    return acc


def sched_cpu(r):
    log = out / f"steps-{r['sched']}-c{r['cmd']}.jsonl"
    w, tot = r["wall"], 0.0
    cur = None
    for line in log.read_text().splitlines():
        d = json.loads(line)
        if "step" in d:
            cur = d if w[0] <= d["t"] <= w[1] else None
        elif "end" in d and cur is not None:
            tot += cur["sc"] + d.get("uc", 0.0)
            cur = None
    return tot


print(f"{other} minus {base}, seconds of busy time per replay\n")
print("| rep | clock | busy base | busy other | excess | count effect | cost effect | "
      "of count: decode-only steps | of count: prefill steps | extra steps | scheduler CPU excess |")
print("|---|---|---|---|---|---|---|---|---|---|---|")
for rep in sorted({r["rep"] for r in rows}):
    b = next(r for r in rows if r["rep"] == rep and r["sched"] == base)
    o = next(r for r in rows if r["rep"] == rep and r["sched"] == other)
    for clock in ("engine", "wall"):
        cb, co = per_class(b, clock), per_class(o, clock)
        busy_b = sum(v[1] for v in cb.values())
        busy_o = sum(v[1] for v in co.values())
        count = {k: (co.get(k, [0, 0])[0] - cb.get(k, [0, 0])[0]) * (cb[k][1] / cb[k][0] if k in cb and cb[k][0] else (co[k][1] / co[k][0]))
                 for k in set(cb) | set(co)}
        cost = {k: co[k][1] - co[k][0] * (cb[k][1] / cb[k][0]) for k in co if k in cb and cb[k][0]}
        cd = sum(v for k, v in count.items() if k[0] == "D")
        cp = sum(v for k, v in count.items() if k[0] == "P")
        steps = sum(v[0] for v in co.values()) - sum(v[0] for v in cb.values())
        print(f"| {rep} | {clock} | {busy_b:.2f} | {busy_o:.2f} | {busy_o - busy_b:+.2f} | "
              f"{sum(count.values()):+.2f} | {sum(cost.values()):+.2f} | {cd:+.2f} | {cp:+.2f} | "
              f"{steps:+d} | {sched_cpu(o) - sched_cpu(b):+.2f} |")
print("\nsteps per class (D: decode only, P: with a prefill chunk; number = decoding calls), base / other\n")
keys = sorted({k for r in rows for k in per_class(r, 'wall')})
print("| rep | " + " | ".join(f"{a}{n}" for a, n in keys) + " |")
print("|---" * (len(keys) + 1) + "|")
for rep in sorted({r["rep"] for r in rows}):
    b = per_class(next(r for r in rows if r["rep"] == rep and r["sched"] == base), "engine")
    o = per_class(next(r for r in rows if r["rep"] == rep and r["sched"] == other), "engine")
    print(f"| {rep} | " + " | ".join(f"{b.get(k, [0])[0]} / {o.get(k, [0])[0]}" for k in keys) + " |")
print("\nengine-clock mean period ms per class, base / other\n")
print("| rep | " + " | ".join(f"{a}{n}" for a, n in keys) + " |")
print("|---" * (len(keys) + 1) + "|")
for rep in sorted({r["rep"] for r in rows}):
    b = per_class(next(r for r in rows if r["rep"] == rep and r["sched"] == base), "engine")
    o = per_class(next(r for r in rows if r["rep"] == rep and r["sched"] == other), "engine")
    f = lambda d, k: f"{1e3 * d[k][1] / d[k][0]:.2f}" if k in d and d[k][0] else "-"  # noqa: E731
    print(f"| {rep} | " + " | ".join(f"{f(b, k)} / {f(o, k)}" for k in keys) + " |")
