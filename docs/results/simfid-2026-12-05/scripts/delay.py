# ruff: noqa
"""Per engine step: wall period - model, wall - engine clock, by decode batch size, per phase.
usage: python delay.py PROFILE LOG [LOG...]"""
import gzip, json, sys, statistics, tempfile, collections
from pathlib import Path
from vllm_nexus.sim.fit import read_log, phase_times
from vllm_nexus.perf.hardware import resolve_hardware
from vllm_nexus.perf.latency import StepLatencyModel
from vllm_nexus.perf.models import get_model
hw = resolve_hardware(sys.argv[1], warn=False).preset
pred = StepLatencyModel(hw, get_model("tiny")).step_time
for lp in sys.argv[2:]:
    p = Path(lp)
    if lp.endswith('.gz'):
        t = Path(tempfile.mktemp(suffix='.jsonl')); t.write_bytes(gzip.open(lp).read()); p = t
    ph = phase_times(p)
    wall, _ = read_log(p, 'wall'); eng, _ = read_log(p, 'engine')
    # phases
    raw_t = []
    for line in p.read_text().splitlines():
        d = json.loads(line)
        if 'step' in d: raw_t.append(d['t'])
    raw_t = raw_t[:len(wall)]
    bounds = sorted(ph.items(), key=lambda kv: kv[1])
    def phase(t):
        name = 'load'
        for n, tt in bounds:
            if t >= tt: name = n
        return name
    g = collections.defaultdict(lambda: [0, 0.0, 0.0, 0.0])
    for (c, w), (_, e), t in zip(wall, eng, raw_t):
        n = c[0] + c[4]
        key = (phase(t), min(n, 40) // 4 * 4 if n > 8 else n)
        a = g[key]; a[0] += 1; a[1] += w - pred(*c); a[2] += w - e; a[3] += pred(*c)
    print(f"## {lp}")
    print("phase | batch | steps | wall-model ms/step | wall-engine ms/step | model ms/step")
    for k in sorted(g):
        a = g[k]
        if a[0] >= 20: print(f"{k[0]} | {k[1]} | {a[0]} | {1e3*a[1]/a[0]:.2f} | {1e3*a[2]/a[0]:.2f} | {1e3*a[3]/a[0]:.2f}")
