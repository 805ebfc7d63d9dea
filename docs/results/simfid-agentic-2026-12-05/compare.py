"""Simulated vs real agentic seed-53 cells: mean and P95 program token latency (ms/token).
usage: compare.py SIMDIR  (SIMDIR holds s{seed}-r{rate}-{sched}/<sched>/result.json)"""
import glob
import json
import statistics as st
import sys

real = "/tmp/tal/runs/agentic53-bb-90-2026-12-05/raw"
simdir = sys.argv[1]
def summ(path):
    s = json.load(open(path))["runs"][0]["summary"]["program_token_latency_s"]
    return s["mean"] * 1e3, s["p95"] * 1e3
print("| rate | scheduler | real mean (reps) | sim mean (seeds) | ratio | real P95 | sim P95 | ratio |")
print("|---|---|---|---|---|---|---|---|")
ok = n = 0
for rate in (1, 3, 9):
    for rs, ss in (("stock", "stock-fcfs"), ("default", "vllm_nexus")):
        r = [summ(f) for f in sorted(glob.glob(f"{real}/{rs}-rep*-r{rate}-c*/result.json"))]
        s = [summ(f) for f in sorted(glob.glob(f"{simdir}/s*-r{rate}-{ss}/{ss}/result.json"))]
        if not r or not s:
            continue
        rm, sm = st.mean(x[0] for x in r), st.mean(x[0] for x in s)
        rp, sp = st.mean(x[1] for x in r), st.mean(x[1] for x in s)
        for a, b in ((sm, rm), (sp, rp)):
            n += 1
            ok += abs(a / b - 1) <= 0.25
        print(f"| {rate} | {rs} | {rm:.1f} ({' / '.join(f'{x[0]:.1f}' for x in r)}) | {sm:.1f} ({' / '.join(f'{x[0]:.1f}' for x in s)}) | {sm/rm:.2f} | {rp:.1f} | {sp:.1f} | {sp/rp:.2f} |")
print(f"\ncells within 25%: {ok} / {n}")
