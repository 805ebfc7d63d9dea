# ruff: noqa
import gzip, json, sys, statistics, tempfile
from pathlib import Path
from vllm_nexus.sim.fit import read_log, phase_times, _parse_log
from vllm_nexus.perf.hardware import resolve_hardware
from vllm_nexus.perf.latency import StepLatencyModel
from vllm_nexus.perf.models import get_model
hw = resolve_hardware(sys.argv[1], warn=False).preset
pred = StepLatencyModel(hw, get_model("tiny")).step_time
lp = sys.argv[2]; p = Path(lp)
if lp.endswith('.gz'):
    t = Path(tempfile.mktemp(suffix='.jsonl', dir='/tmp/sf6')); t.write_bytes(gzip.open(lp).read()); p = t
raw, _, _ = _parse_log(p)
ph = phase_times(p)
wall, _ = read_log(p, 'wall'); eng, _ = read_log(p, 'engine')
T0 = raw[0][1][0]
B = float(sys.argv[3]) if len(sys.argv) > 3 else 5
buck = {}
for (c, tw), (_, te), r in zip(wall, eng, raw):
    if c[0] > 0: continue
    b = int((r[1][0]-T0)//B)
    buck.setdefault(b, []).append((c[4], tw, te, pred(*c)))
print({k: round(v-T0,1) for k,v in ph.items()})
print("t | n dec steps | med batch | eng med | model med | wall med")
for b in sorted(buck):
    a = buck[b]
    print(f"{b*B:.0f} | {len(a)} | {statistics.median(x[0] for x in a)} | {1e3*statistics.median(x[2] for x in a):.2f} | {1e3*statistics.median(x[3] for x in a):.2f} | {1e3*statistics.median(x[1] for x in a):.2f}")
