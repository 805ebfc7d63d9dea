import gzip
import json
import statistics as st
import sys


def op(p):
    return gzip.open(p, "rt") if p.endswith(".gz") else open(p)


for p in sys.argv[1:]:
    pend = None
    rows = []
    res = 0
    for line in op(p):
        e = json.loads(line)
        if "step" in e:
            pend = e
        elif "end" in e and pend is not None:
            s = pend["step"]
            res += pend.get("res", 0)
            if s[0] == 0 and s[4] <= 2:
                rows.append((pend["t"], e["end"] - pend["t"], res))
            pend = None
    t0 = rows[0][0]
    k = len(rows) // 8
    print(
        p[-36:],
        " ".join(
            f"{rows[i * k][0] - t0:4.0f}s:{1000 * st.median(r[1] for r in rows[i * k : (i + 1) * k]):.2f}(res{rows[(i + 1) * k - 1][2]})"
            for i in range(8)
        ),
    )
