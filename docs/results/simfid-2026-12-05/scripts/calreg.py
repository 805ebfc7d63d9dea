# ruff: noqa
import gzip, json, sys, tempfile, bisect
import numpy as np
from pathlib import Path
from vllm_nexus.sim.fit import read_log, phase_times, streams_of
from vllm_nexus.sim.calibrate import BURST_RAMP
from vllm_nexus.perf.hardware import resolve_hardware
from vllm_nexus.perf.latency import StepLatencyModel
from vllm_nexus.perf.models import get_model
for cal, lp in zip(sys.argv[1::2], sys.argv[2::2]):
    hw = resolve_hardware(cal, warn=False).preset
    pred = StepLatencyModel(hw, get_model("tiny")).step_time
    p = Path(lp)
    if lp.endswith('.gz'):
        t = Path(tempfile.mktemp(suffix='.jsonl')); t.write_bytes(gzip.open(lp).read()); p = t
    ph = phase_times(p)
    steps_t, adds = [], []
    for line in p.read_text().splitlines():
        d = json.loads(line)
        if 'step' in d: steps_t.append(d['t'])
        elif 'add' in d: adds.append(d['t'])
    wall, _ = read_log(p, 'wall')
    steps_t = steps_t[:len(wall)]
    nadd = np.zeros(len(steps_t))
    for a in adds:
        i = bisect.bisect_right(steps_t, a) - 1
        if 0 <= i < len(nadd): nadd[i] += 1
    idx_r = [i for i, t in enumerate(steps_t) if ph['frontend'] <= t <= ph['burst']]
    idx_b = [i for i, t in enumerate(steps_t) if ph['burst'] <= t <= ph['burst-end']]
    idx_b = idx_b[int(BURST_RAMP * len(idx_b)):]
    idx_l = [i for i, t in enumerate(steps_t) if t < ph['frontend']]
    for name, idx in (('rounds+burst', idx_r + idx_b), ('rounds', idx_r), ('designed load', idx_l)):
        X = np.array([[1.0, streams_of(wall[i][0]), nadd[i]] for i in idx if streams_of(wall[i][0]) > 0])
        y = np.array([wall[i][1] - pred(*wall[i][0]) for i in idx if streams_of(wall[i][0]) > 0])
        b = np.linalg.lstsq(X, y, rcond=None)[0]
        print(f"{lp} {name}: {len(y)} steps, adds {X[:,2].sum():.0f}: const {1e3*b[0]:.3f} ms, per stream {1e3*b[1]:.4f}, per add {1e3*b[2]:.3f}")
