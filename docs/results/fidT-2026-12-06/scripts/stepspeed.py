"""Post hoc (window Q): the engine's own speed per real repetition. For each repetition's step
log (both rates' servers), the median engine-clock time of pure-decode steps with 5-8 requests.
usage: cd WINDOW_DIR && python3 stepspeed.py ca mr"""

import glob
import json
import re
import statistics
import sys


def median_ms(path: str) -> tuple[float, int]:
    xs, start = [], None
    for line in open(path):
        d = json.loads(line)
        if "step" in d:
            s = d["step"]
            start = d["c"] if (s[0] == 0 and 5 <= s[4] <= 8) else None
        elif "end" in d and start is not None:
            xs.append(d["c"] - start)
            start = None
    return (statistics.median(xs) * 1e3 if xs else float("nan")), len(xs)


for fam in sys.argv[1:]:
    for s in ("stock-fcfs", "vllm_nexus"):
        files = sorted(
            glob.glob(f"{fam}/steps/{s}-rep*.jsonl"),
            key=lambda p: int(re.findall(r"rep(\d+)", p)[0]),
        )
        print(fam, s, " ".join(f"{m:.2f}({n})" for m, n in map(median_ms, files)))
