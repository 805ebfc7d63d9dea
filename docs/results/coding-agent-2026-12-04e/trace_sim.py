"""Simulate a dumped trace with several scheduler configurations (examples/policy_sim.py's
run_one on a trace instead of a generated workload).

usage: PYTHONPATH=. python trace_sim.py --trace T.jsonl --programs 120 --rates 6,7 \
    --hardware cpu-here|PROFILE.json [--max-num-seqs 8] [--num-gpu-blocks N] \
    --variant NAME=SCHED:JSON ... [--json out.jsonl]
SCHED as in policy_sim.py (stock, default, oracle, plas, ...); JSON = the vllm_nexus section.
Arrivals re-timed as `vllm-nexus bench/simulate --trace --rate R` (seed 0 gaps); think-scale 0.3.
"""
import argparse
import json
import math
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[3] / "examples"))
import policy_sim  # noqa: E402

from vllm_nexus.bench.trace import load_trace  # noqa: E402
from vllm_nexus.bench.workloads import retime  # noqa: E402

p = argparse.ArgumentParser()
p.add_argument("--trace", required=True)
p.add_argument("--programs", type=int, required=True)
p.add_argument("--rates", required=True)
p.add_argument("--hardware", default="cpu-here")
p.add_argument("--max-num-seqs", type=int, default=8)
p.add_argument("--num-gpu-blocks", type=int)
p.add_argument("--think-scale", type=float, default=0.3)
p.add_argument("--variant", action="append", default=[])
p.add_argument("--json")
a = p.parse_args()
st = policy_sim.Setting(a.hardware, "tiny", a.max_num_seqs, a.num_gpu_blocks, 1.0, 1.0,
                        a.think_scale, 4096, {}, {})
base = load_trace(a.trace)[: a.programs]
out = open(a.json, "a") if a.json else None
for rate in [float(x) for x in a.rates.split(",")]:
    progs = retime(base, rate, 0, 1.0)
    rows = {}
    for v in a.variant:
        name, _, rest = v.partition("=")
        key, _, cfg = rest.partition(":")
        r = policy_sim.run_one(st, policy_sim.SCHEDULERS[key], progs, 0,
                               json.loads(cfg) if cfg else None)
        rows[name] = r
        stock = rows.get("stock")
        ratio = stock["mean"] / r["mean"] if stock else math.nan
        e2e = stock["e2e"] / r["e2e"] if stock else math.nan
        print(f"r{rate:<4g} {name:12s} mean {r['mean'] * 1e3:6.2f} ms/tok x{ratio:5.3f}  "
              f"e2e {r['e2e']:5.2f}s x{e2e:5.3f}  p95 {r['p95'] * 1e3:6.1f}  "
              f"recomp {100 * r['recompute_share']:4.1f}%  pre {r['preemptions']:4d}/{r['proactive']:4d}  "
              f"promo {r['promotions']:3d}", flush=True)
        if out:
            out.write(json.dumps({"trace": a.trace, "programs": a.programs, "rate": rate,
                                  "hardware": a.hardware, "max_num_seqs": a.max_num_seqs,
                                  "num_gpu_blocks": a.num_gpu_blocks, "name": name,
                                  "sched": key, "config": cfg, **r}) + "\n")
            out.flush()
