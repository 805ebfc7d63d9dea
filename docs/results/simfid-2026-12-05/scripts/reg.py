# ruff: noqa
import gzip, json, sys, tempfile
import numpy as np
from pathlib import Path
from vllm_nexus.sim.fit import read_log
from vllm_nexus.perf.hardware import resolve_hardware
from vllm_nexus.perf.latency import StepLatencyModel
from vllm_nexus.perf.models import get_model
hw = resolve_hardware(sys.argv[1], warn=False).preset
pred = StepLatencyModel(hw, get_model("tiny")).step_time
for lp in sys.argv[2:]:
    p = Path(lp)
    if lp.endswith('.gz'):
        t = Path(tempfile.mktemp(suffix='.jsonl')); t.write_bytes(gzip.open(lp).read()); p = t
    wall, _ = read_log(p, 'wall'); eng, _ = read_log(p, 'engine')
    # adds between consecutive step starts
    steps_t, adds = [], []
    for line in p.read_text().splitlines():
        d = json.loads(line)
        if 'step' in d: steps_t.append(d['t'])
        elif 'add' in d: adds.append(d['t'])
    steps_t = steps_t[:len(wall)]
    import bisect
    nadd = np.zeros(len(steps_t))
    for a in adds:
        i = bisect.bisect_right(steps_t, a) - 1
        if 0 <= i < len(nadd): nadd[i] += 1
    X = []; yw = []; ye = []
    for (c, w), (_, e), na in zip(wall, eng, nadd):
        X.append([1.0, c[0] + c[4], na, c[1] / 1000, c[5] / 1e5]); yw.append(w - pred(*c)); ye.append(e - pred(*c))
    X = np.array(X); yw = np.array(yw); ye = np.array(ye)
    print(lp, len(X), "adds", nadd.sum(), "mean wall-model %.2f ms, engine-model %.2f" % (1e3*yw.mean(), 1e3*ye.mean()))
    for nm, y in (('wall-model', yw), ('engine-model', ye), ('wall-engine', yw - ye)):
        b = np.linalg.lstsq(X, y, rcond=None)[0]
        print(f"  {nm}: const {1e3*b[0]:.3f} ms, per stream {1e3*b[1]:.3f}, per add {1e3*b[2]:.3f}, per 1k prefill tok {1e3*b[3]:.3f}, per 100k dec ctx {1e3*b[4]:.3f}")
