import gzip
import json
import sys

import numpy as np


def op(p):
    return gzip.open(p, "rt") if p.endswith(".gz") else open(p)


for p in sys.argv[1:]:
    pend = None
    rows = []
    for line in op(p):
        e = json.loads(line)
        if "step" in e:
            pend = e
        elif "end" in e and pend is not None:
            s = pend["step"]
            if s[0] == 0:
                rows.append((s[4], s[5], e["end"] - pend["t"], pend.get("sc", 0) + e.get("uc", 0)))
            pend = None
    a = np.array(rows)
    X = np.c_[np.ones(len(a)), a[:, 0], a[:, 1] / 1000]
    coef, *_ = np.linalg.lstsq(X, a[:, 2] * 1000, rcond=None)
    cpu = np.median(a[:, 3]) * 1000
    print(
        f"{p[-40:]:40s} n={len(a)} fixed {coef[0]:.2f} ms + {coef[1]:.3f}/req + {coef[2]:.3f}/1k ctx   mean ctx/step {a[:, 1].mean():.0f}  mean reqs {a[:, 0].mean():.2f}  sc+uc {cpu:.3f}"
    )
