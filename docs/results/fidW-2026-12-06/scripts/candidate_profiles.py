# ruff: noqa
"""Window W's candidate C on a committed window X (P-V, post hoc) or on W itself: each of X's
start and end calibrations gets `frontend_ingress_queued_s` measured by the product's
calibration code (`vllm_nexus.sim.fit.log_ingress_spacing`, the median over the kept
server's log, as `simulate calibrate` does), everything else as committed; the midpoint of
the two is `simulate calibrate --midpoint`'s (`sim.calibrate.midpoint_doc`).
usage: python candidate_profiles.py WINDOW_DATA_DIR OUT_DIR   (e.g. ../../fidV-2026-12-06/V /tmp/pv/V)
-> OUT_DIR/calibration-{start,end,mid}-C.json; prints the measured values"""
import json, statistics, sys
from pathlib import Path
from vllm_nexus.sim.calibrate import midpoint_doc
from vllm_nexus.sim.fit import log_ingress_spacing

src, out = Path(sys.argv[1]), Path(sys.argv[2])
out.mkdir(parents=True, exist_ok=True)
for side in ('start', 'end'):
    doc = json.loads((src / f'calibration-{side}.json').read_text())
    log = src / Path(doc['log']).name  # the kept server's log (plain or .gz)
    gaps = log_ingress_spacing(log)
    q = statistics.median(gaps) if gaps else 0.0
    doc['hardware']['frontend_ingress_queued_s'] = q
    doc['fit']['ingress_bursts'] = len(gaps)
    (out / f'calibration-{side}-C.json').write_text(json.dumps(doc, indent=1) + '\n')
    print(f'{src.name} {side}: server log {log.name}, {len(gaps)} bursts, queued {1e3 * q:.3f} ms')
mid = midpoint_doc(out / 'calibration-start-C.json', out / 'calibration-end-C.json')
(out / 'calibration-mid-C.json').write_text(json.dumps(mid, indent=1) + '\n')
print(f"{src.name} mid: queued {1e3 * mid['hardware']['frontend_ingress_queued_s']:.3f} ms")
