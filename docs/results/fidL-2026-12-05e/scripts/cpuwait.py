# ruff: noqa
"""Per engine step of a real run's step log: the CPU wait (wall period - engine-clock period) against
the calls in the engine (waiting + running) and the streams (running). Steps are taken back to back
(period = next step's start - this one's, both clocks) while the engine stays busy (gap < 50 ms).
usage: python cpuwait.py STEPLOG[.gz] ...   -> a table per in-flight bucket, over all logs given."""
import gzip, json, sys
from collections import defaultdict
B = [(0, 1), (2, 4), (5, 8), (9, 16), (17, 32), (33, 64), (65, 128), (129, 10**9)]
agg = defaultdict(lambda: [0, 0.0, 0.0])
for path in sys.argv[1:]:
    op = gzip.open if path.endswith('.gz') else open
    steps = []
    for line in op(path, 'rt'):
        d = json.loads(line)
        if 'step' in d and 'c' in d:
            steps.append((d['t'], d['c'], d.get('w', 0), d.get('r', 0)))
    for (t0, c0, w, r), (t1, c1, _, _) in zip(steps, steps[1:]):
        wall, eng = t1 - t0, c1 - c0
        if wall <= 0 or wall > 0.05 or eng <= 0:
            continue
        k = next(i for i, (a, b) in enumerate(B) if a <= w + r <= b)
        a = agg[k]; a[0] += 1; a[1] += wall; a[2] += eng
print("| calls in the engine (waiting + running) | steps | mean wall ms | mean engine-clock ms | CPU wait ms / step | wall / engine |")
print("|---|---|---|---|---|---|")
for k in sorted(agg):
    n, wall, eng = agg[k]
    print(f"| {B[k][0]}-{B[k][1] if B[k][1] < 10**9 else 'more'} | {n} | {1e3*wall/n:.2f} | {1e3*eng/n:.2f} | {1e3*(wall-eng)/n:.2f} | {wall/eng:.3f} |")
