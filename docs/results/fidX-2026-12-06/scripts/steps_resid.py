# ruff: noqa
"""Post hoc on window V's real step logs (the 12/s server of repetitions 0 and 5): each step's time
(start to the next step's start) against the simulator's step formula for the same composition
(step_time, the prefill stretch, the fixed and per-stream frontend delays, the per received call
delay) with V's midpoint profile, by step class; then two least-squares fits of the prefill steps'
time: on (formula, resumed requests, new requests, 1) and with the adds the engine made during the
step as one more feature. Preemptions are inferred per step (running before - finished + admitted
- running after; they add up to each run's counter).
usage: cd docs/results/fidX-2026-12-06 && python3 scripts/steps_resid.py"""
import gzip, json, statistics as st, bisect
from pathlib import Path
import numpy as np
from vllm_nexus.perf.hardware import resolve_hardware
from vllm_nexus.perf.models import get_model
from vllm_nexus.perf.latency import StepLatencyModel

V = Path('../fidV-2026-12-06/V')
hw = resolve_hardware(str(V / 'calibration-mid.json'), warn=False).preset
lat = StepLatencyModel(hw, get_model('tiny'))


def formula(d, recv):
    c = d['step']
    m = lat.step_time(*c)
    if c[0]:
        m *= hw.frontend_prefill_stretch
    streams = c[4] + len(d['nh'])
    return m + hw.frontend_step_delay_s + hw.frontend_stream_delay_s * streams + hw.frontend_call_delay_s * recv


for name in ('stock-fcfs-rep0', 'stock-fcfs-rep5', 'vllm_nexus-rep0', 'vllm_nexus-rep5'):
    ev = [json.loads(l) for l in gzip.open(V / 'mr' / 'steps' / f'{name}.jsonl.gz')]
    adds = [i for i, e in enumerate(ev) if 'add' in e]
    _, k = max((ev[adds[j + 1]]['t'] - ev[adds[j]]['t'], adds[j + 1]) for j in range(len(adds) - 1))
    part = ev[k:]  # the second server of the file: 12/s
    add_t = [d['t'] for d in part if 'add' in d]
    seq, recv, prev_r, fins, npre = [], 0, None, 0, 0
    for d in part:
        recv += 'add' in d
        fins += 'fin' in d
        if 'step' in d:
            pre = max(0, (prev_r - fins) + d['new'] + d['res'] - d['r']) if prev_r is not None else 0
            npre += pre
            seq.append((d, recv, pre)); recv, fins, prev_r = 0, 0, d['r']
    grp, X1, X2, y = {}, [], [], []
    for (d, recv, pre), (d2, _, _) in zip(seq, seq[1:]):
        t = d2['t'] - d['t']
        if t > 0.1:
            continue
        m = formula(d, recv)
        key = ('decode' if not d['step'][0] else 'prefill') + (' +resumed' if d['res'] else '') + (' +preempt' if pre else '')
        grp.setdefault(key, []).append((t / m, t - m))
        if d['step'][0]:
            during = bisect.bisect_left(add_t, d2['t']) - bisect.bisect_left(add_t, d['t'])
            X1.append([m, d['res'], d['new'], 1.0]); X2.append([m, d['res'], d['new'], during, 1.0]); y.append(t)
    print(f'{name}: preemptions inferred {npre}')
    print('   over the formula: ' + '; '.join(f'{k} {len(v)} steps x {st.median(x[0] for x in v):.2f} (mean {1e3 * st.mean(x[1] for x in v):+.2f} ms)' for k, v in sorted(grp.items())))
    c1, *_ = np.linalg.lstsq(np.array(X1), np.array(y), rcond=None)
    c2, *_ = np.linalg.lstsq(np.array(X2), np.array(y), rcond=None)
    print('   prefill steps, least squares: %.2f x formula %+.2f ms per resumed %+.2f ms per new %+.2f ms' % (c1[0], *(1e3 * c1[1:])))
    print('   ... with adds during the step: %.2f x formula %+.2f ms per resumed %+.2f ms per new %+.2f ms per add %+.2f ms' % (c2[0], *(1e3 * c2[1:])))
