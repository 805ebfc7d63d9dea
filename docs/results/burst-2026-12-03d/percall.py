"""Throw-away: per class x call position, mean wait to first token and decode time (s), from
../policy-2026-12-03b/dump.py output.

python docs/results/burst-2026-12-03d/percall.py DUMP.json [names...]
"""

import collections
import json
import statistics as st
import sys

d = json.load(open(sys.argv[1]))
P = d["programs"]
names = sys.argv[2:] or list(d["runs"])
for name in names:
    r = d["runs"][name]["calls"]
    end = collections.defaultdict(float)
    cells = collections.defaultdict(list)
    for pid, cid, _send, arr, ft, fin, _p, _o, _c, pre in r:
        end[pid] = max(end[pid], fin)
        pos = int(cid[1:])
        b = "0" if pos == 0 else "1" if pos == 1 else "2" if pos == 2 else "3+"
        cells[(P[pid]["kind"], b)].append((ft - arr, fin - ft, pre))
    print(name)
    for k in ("react", "chat", "lats"):
        e2e = st.mean(end[p] - P[p]["arrival"] for p in P if P[p]["kind"] == k)
        line = f"  {k:6s} e2e {e2e:5.2f} |"
        for b in ("0", "1", "2", "3+"):
            v = cells.get((k, b))
            if v:
                line += f" pos{b}: wait {st.mean(x[0] for x in v):.2f} dec {st.mean(x[1] for x in v):.2f} pre {sum(x[2] for x in v)} n {len(v)} |"
        print(line)
