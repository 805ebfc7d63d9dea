"""Whether the `default` and `sz` rows of policy_sim JSON files (this branch) equal latspre's:
same mean, proactive preemptions and computed tokens per (setting, workload, seed, rate).
Usage: python same.py OLD[,OLD...] NEW[,NEW...]"""

import json
import sys


def load(paths):
    d = {}
    for p in paths.split(","):
        for line in open(p):
            r = json.loads(line)
            if r["scheduler"] in ("default", "sz"):
                key = (r["setting"], r["workload"], r["seed"], r["rate"], r["scheduler"])
                d[key] = (r["mean"], r["proactive"], r["computed"])
    return d


old, new = load(sys.argv[1]), load(sys.argv[2])
same = 0
for k, v in sorted(new.items()):
    if old.get(k) == v:
        same += 1
    else:
        print("DIFF", k, "old", old.get(k), "new", v)
print(f"{same} identical, {len(new) - same} different, of {len(new)} runs")
