# ruff: noqa
import gzip, sys, statistics, tempfile, glob
from pathlib import Path
from vllm_nexus.sim.fit import read_log, phase_times
for lp in sys.argv[1:]:
    p = Path(lp)
    if lp.endswith('.gz'):
        t = Path(tempfile.mktemp(suffix='.jsonl', dir='/tmp/sf6')); t.write_bytes(gzip.open(lp).read()); p = t
    ph = phase_times(p)
    w = (0, ph['frontend']) if 'frontend' in ph else None
    try: eng, _ = read_log(p, 'engine', w)
    except ValueError: eng = None
    wall, _ = read_log(p, 'wall', w)
    out = []
    for lo, hi in ((1,1),(2,2),(3,4),(5,8),(25,99)):
        a = [t for c, t in (eng or wall) if c[0]==0 and lo<=c[4]<=hi]
        out.append(f"d{lo}-{hi} {1e3*statistics.median(a):.2f}({len(a)})" if len(a)>=10 else f"d{lo}-{hi} -")
    print(lp.split('results/')[-1], '|', 'eng' if eng else 'WALL', '|', ' | '.join(out))
    p.unlink() if lp.endswith('.gz') else None
