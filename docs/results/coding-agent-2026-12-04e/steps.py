"""Per-replay engine steps of an `interleaved_replay.py --record-steps` run.

usage: PYTHONPATH=<repo> python steps.py OUT_DIR [HARDWARE_PROFILE.json]
For each measured replay (rows.jsonl rows with a "wall" window) reads the step log of its
server (OUT_DIR/steps-SCHED-cCMD.jsonl) within the window: engine steps, busy seconds (sum
of step periods, vllm_nexus.sim.fit.read_log), mean period, mean decode / prefill requests
and prefill tokens per step, tokens per busy second, the fitted step model's prediction for
the same steps (measured / predicted: > 1 means the steps ran slower than their composition
explains), wall / engine-clock time (CPU contention), and the scheduler's own CPU time per
step (schedule() + update_from_output(), engine-core thread).
"""
import json
import sys
from pathlib import Path

from vllm_nexus.perf.hardware import get_hardware
from vllm_nexus.perf.latency import StepLatencyModel
from vllm_nexus.perf.models import get_model
from vllm_nexus.sim.fit import read_log

out = Path(sys.argv[1])
hw = sys.argv[2] if len(sys.argv) > 2 else "cpu-here"
predict = StepLatencyModel(get_hardware(hw), get_model("tiny")).step_time
rows = [json.loads(x) for x in (out / "rows.jsonl").read_text().splitlines() if x.strip()]
print(f"step model: {hw}")
print("| replay | steps | busy s | mean period ms | decode reqs/step | prefill reqs/step | "
      "prefill tok/step | tokens per busy s | measured / model | wall / engine clock | "
      "scheduler CPU us/step |")
print("|---|---|---|---|---|---|---|---|---|---|---|")
for r in rows:
    if "wall" not in r:
        continue
    log = out / f"steps-{r['sched']}-c{r['cmd']}.jsonl"
    if not log.exists():
        continue
    w = tuple(r["wall"])
    steps, _ = read_log(log, "wall", w)
    esteps, _ = read_log(log, "engine", w)
    if not steps:
        continue
    busy = sum(p for _, p in steps)
    ebusy = sum(p for _, p in esteps)
    n = len(steps)
    dec = sum(c[4] for c, _ in steps) / n
    pre = sum(c[0] for c, _ in steps) / n
    ptok = sum(c[1] for c, _ in steps) / n
    tokens = sum(c[1] + c[4] for c, _ in steps)
    model = sum(predict(*c) for c, _ in steps)
    sc = uc = 0.0
    last = None
    for line in log.read_text().splitlines():
        d = json.loads(line)
        if "step" in d and w[0] <= d["t"] <= w[1]:
            sc += d.get("sc", 0.0)
            last = True
        elif "end" in d and last:
            uc += d.get("uc", 0.0)
            last = None
    print(f"| {r['sched']} {r['tag']} | {n} | {busy:.1f} | {1e3 * busy / n:.2f} | {dec:.2f} | "
          f"{pre:.2f} | {ptok:.1f} | {tokens / busy:.0f} | {busy / model:.2f} | "
          f"{busy / ebusy:.2f} | {1e6 * (sc + uc) / n:.0f} |")
