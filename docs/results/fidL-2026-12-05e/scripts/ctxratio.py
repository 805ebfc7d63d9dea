# ruff: noqa
"""Pure-decode engine steps (engine clock) over the profile's prediction, by decode batch size and mean
context per request: does the step model miss long contexts? usage: python ctxratio.py PROFILE LOG[.gz] ...
(run with PYTHONPATH=<code>; reads each log whole)."""
import sys
from collections import defaultdict
from vllm_nexus.perf.hardware import get_hardware
from vllm_nexus.perf.latency import StepLatencyModel
from vllm_nexus.perf.models import get_model
from vllm_nexus.sim.fit import read_log
lat = StepLatencyModel(get_hardware(sys.argv[1]), get_model('tiny'))
CTX = [(0, 511), (512, 1023), (1024, 2047), (2048, 4096)]
BS = [(1, 2), (3, 8)]
agg = defaultdict(lambda: [0, 0.0, 0.0])
for log in sys.argv[2:]:
    steps, _ = read_log(log, 'engine')
    for comp, period in steps:
        if comp[0] or not comp[4]:
            continue
        n = int(comp[4]); ctx = comp[5] / n
        b = next((i for i, (a, z) in enumerate(BS) if a <= n <= z), None)
        c = next((i for i, (a, z) in enumerate(CTX) if a <= ctx <= z), None)
        if b is None or c is None:
            continue
        a = agg[(b, c)]; a[0] += 1; a[1] += period; a[2] += lat.step_time(*comp)
print("| decode requests | mean context | steps | measured ms | model ms | ratio |\n|---|---|---|---|---|---|")
for (b, c), (k, m, p) in sorted(agg.items()):
    print(f"| {BS[b][0]}-{BS[b][1]} | {CTX[c][0]}-{CTX[c][1]} | {k} | {1e3*m/k:.2f} | {1e3*p/k:.2f} | {m/p:.2f} |")
