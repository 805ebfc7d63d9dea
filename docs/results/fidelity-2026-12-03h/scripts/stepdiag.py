# ruff: noqa  (analysis script of the 2026-12-03c fidelity re-check, kept as run)
"""Per real run of window C and rate: measured engine-step time over the prediction of a
profile rescaled as the pre-registered predictor does (probe factor of that run), by step
class, on the wall and the engine clock; the probe factor and the slow-state share of the
probe samples. Which cost term the predictor misses in which run.
usage: stepdiag.py HW_JSON RUNDIR[,RUNDIR...]"""
import json, statistics, sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[4]
sys.path.insert(0, str(ROOT))
from vllm_nexus.perf.hardware import get_hardware
from vllm_nexus.perf.latency import StepLatencyModel
from vllm_nexus.perf.models import get_model
from vllm_nexus.sim import probe
from vllm_nexus.sim.fit import STEP_CLASSES, read_log, step_classes

hw_path = sys.argv[1]
base = get_hardware(hw_path); ref = json.loads(Path(hw_path).read_text())['machine']['python_ms']
print(f'# profile {hw_path} (machine.python_ms {ref:.3f}); measured/predicted step time by class, wall | engine clock')
print('| run | rate | factor | slow share | ' + ' | '.join(STEP_CLASSES) + ' | all |')
print('|---|---|---|---|' + '---|' * (len(STEP_CLASSES) + 1))
for rd in sys.argv[2].split(','):
    rd = Path(rd)
    for sd in sorted((rd / 'real').iterdir()):
        s = sd.name
        rows = probe.read_samples(rd / 'machine' / f'{s}-rep0.jsonl')
        log = rd / 'steps' / f'{s}-rep0.jsonl'
        for run in json.loads((sd / 'rep0' / 'result.json').read_text())['runs']:
            w = tuple(run['wall_clock'])
            xs = [r['python_ms'] for r in rows if w[0] <= r['t'] <= w[1]]
            f = statistics.median(xs) / ref
            lat = StepLatencyModel(probe.rescale(base, f, 1.0), get_model('tiny'))
            cells = []
            tot = {}
            for clock in ('wall', 'engine'):
                steps, _ = read_log(log, clock, w)
                tot[clock] = sum(t for _, t in steps) / sum(lat.step_time(*c) for c, _ in steps)
                cells.append(step_classes(steps, lambda *c: lat.step_time(*c)))
            line = []
            for c in STEP_CLASSES:
                if c in cells[0]:
                    n, m, p = cells[0][c]; _, me, pe = cells[1][c]
                    line.append(f'{m / p:.2f} \\| {me / pe:.2f} ({n})')
                else:
                    line.append('-')
            print(f'| {rd.parent.name}/{rd.name}/{s} | {run["rate"]:g} | {f:.3f} | {sum(x > 2.4 for x in xs) / len(xs):.2f} | ' + ' | '.join(line) + f' | {tot["wall"]:.2f} \\| {tot["engine"]:.2f} |')
