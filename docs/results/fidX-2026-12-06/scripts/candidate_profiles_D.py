# ruff: noqa
"""Window X's candidate D on a window (X itself, or a committed one post hoc): each of the window's
start and end calibrations gets
  - frontend_ingress_queued_s: the median spacing of the engine's adds within the calibration's
    fan-out bursts, measured by the product's calibration code from the kept server's log
    (`vllm_nexus.sim.fit.log_ingress_spacing`, as `simulate calibrate` records it), and
  - resumed_call_delay_s: the calibration's own frontend_call_delay_s (a resumed request costs
    its step what a received call does; stock vLLM does not preempt on the calibration's load,
    so the calibration cannot measure it),
everything else as committed; the midpoint of the two is `simulate calibrate --midpoint`'s.
usage: python candidate_profiles_D.py WINDOW_DATA_DIR OUT_DIR -> OUT_DIR/calibration-{start,end,mid}-D.json"""
import json, statistics, sys
from pathlib import Path
from vllm_nexus.sim.calibrate import midpoint_doc
from vllm_nexus.sim.fit import log_ingress_spacing

src, out = Path(sys.argv[1]), Path(sys.argv[2])
out.mkdir(parents=True, exist_ok=True)
for side in ('start', 'end'):
    doc = json.loads((src / f'calibration-{side}.json').read_text())
    log = src / Path(doc['log']).name  # the kept server's log (plain or .gz)
    if not log.exists():
        log = Path(str(log) + '.gz')
    gaps = log_ingress_spacing(log)
    q = statistics.median(gaps) if gaps else 0.0
    hw = doc['hardware']
    hw['frontend_ingress_queued_s'] = q
    hw['resumed_call_delay_s'] = hw['frontend_call_delay_s']
    doc['fit']['ingress_bursts'] = len(gaps)
    (out / f'calibration-{side}-D.json').write_text(json.dumps(doc, indent=1) + '\n')
    print(f'{src.name} {side}: server log {log.name}, {len(gaps)} bursts, queued {1e3 * q:.3f} ms, resumed {1e3 * hw["resumed_call_delay_s"]:.3f} ms')
mid = midpoint_doc(out / 'calibration-start-D.json', out / 'calibration-end-D.json')
(out / 'calibration-mid-D.json').write_text(json.dumps(mid, indent=1) + '\n')
h = mid['hardware']
print(f"{src.name} mid: queued {1e3 * h['frontend_ingress_queued_s']:.3f} ms, resumed {1e3 * h['resumed_call_delay_s']:.3f} ms")
