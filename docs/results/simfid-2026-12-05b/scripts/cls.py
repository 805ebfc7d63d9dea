# ruff: noqa
"""per log: decode-only steps by batch (1,2,3-4,5-8,9-24,25+) and prefill steps: n, median & mean measured engine/wall ms, and model ms under PROFILE.
usage: cls.py PROFILE LOG... (gz ok); for calibration logs only the designed load (before 'frontend' phase) and separately the 'rounds' (frontend..burst)"""
import gzip, json, sys, statistics, tempfile, collections
from pathlib import Path
from vllm_nexus.sim.fit import read_log, phase_times
from vllm_nexus.perf.hardware import resolve_hardware
from vllm_nexus.perf.latency import StepLatencyModel
from vllm_nexus.perf.models import get_model
hw = resolve_hardware(sys.argv[1], warn=False).preset
pred = StepLatencyModel(hw, get_model("tiny")).step_time
def load(lp):
    p = Path(lp)
    if lp.endswith('.gz'):
        t = Path(tempfile.mktemp(suffix='.jsonl', dir='/tmp/sf6')); t.write_bytes(gzip.open(lp).read()); p = t
    return p
def key(c):
    if c[0] > 0: return 'pre' + ('1' if c[0]==1 else '2+') + ('+dec' if c[4] else '')
    n = c[4]
    return 'd' + ('1' if n==1 else '2' if n==2 else '3-4' if n<=4 else '5-8' if n<=8 else '9-24' if n<=24 else '25+')
for lp in sys.argv[2:]:
    p = load(lp); ph = phase_times(p)
    wins = {'all': None}
    if 'frontend' in ph:
        wins = {'designed': (0, ph['frontend']), 'rounds': (ph['frontend'], ph['burst'])}
    for wn, w in wins.items():
        wall, _ = read_log(p, 'wall', w)
        try: eng, _ = read_log(p, 'engine', w)
        except ValueError: eng = wall
        g = collections.defaultdict(list)
        for (c, tw), (_, te) in zip(wall, eng):
            g[key(c)].append((tw, te, pred(*c)))
        print(f"## {lp.split('results/')[-1]} [{wn}] profile {sys.argv[1].split('/')[-1]}")
        print("class | n | wall med | eng med | eng mean | model mean | eng/model (sum)")
        for k in sorted(g):
            a = g[k]
            if len(a) < 5: continue
            print(f"{k} | {len(a)} | {1e3*statistics.median(x[0] for x in a):.2f} | {1e3*statistics.median(x[1] for x in a):.2f} | {1e3*statistics.fmean(x[1] for x in a):.2f} | {1e3*statistics.fmean(x[2] for x in a):.2f} | {sum(x[1] for x in a)/sum(x[2] for x in a):.2f}")
