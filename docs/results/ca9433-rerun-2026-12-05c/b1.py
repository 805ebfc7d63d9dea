import gzip
import json
import statistics as st
import sys


def op(p):
    return gzip.open(p, "rt") if p.endswith(".gz") else open(p)


for p in sys.argv[1:]:
    pend = None
    b1 = []
    b8 = []
    sc = []
    uc = []
    for line in op(p):
        e = json.loads(line)
        if "step" in e:
            pend = e
        elif "end" in e and pend is not None:
            d = e["end"] - pend["t"]
            s = pend["step"]
            if s[0] == 0 and s[4] == 1:
                b1.append(d)
                sc.append(pend.get("sc", 0))
                uc.append(e.get("uc", 0))
            if s[0] == 0 and s[4] == 8:
                b8.append(d)
            pend = None
    if b1:
        print(
            f"{p[-60:]:60s} b1 n={len(b1)} med {1000 * st.median(b1):.2f} ms  sc {1000 * st.median(sc):.3f} uc {1000 * st.median(uc):.3f}  b8 {1000 * st.median(b8) if b8 else 0:.2f}"
        )
