"""Per-program and per-call breakdown of bench result.json files (real or simulated).

usage: perprog.py BASE=path/result.json OTHER=path/result.json [OTHER2=...]
Prints, per program-size bucket (calls per program), the mean program token latency of each
run and the ratio BASE / other; and per run: mean call queue time (send -> first token),
mean per-output-token decode time (first token -> end), mean client-side gap (ready -> send).
"""
import json
import statistics as st
import sys


def load(path):
    d = json.load(open(path))
    run = d["runs"][0]
    progs = {}
    for p in run["programs"]:
        calls = p["calls"]
        if not calls or any(c.get("error") for c in calls):
            continue
        end = max(c["end_s"] for c in calls)
        out = sum(c["output_tokens"] for c in calls)
        progs[p["program_id"].split("@")[0][-5:]] = dict(
            n=len(calls), out=out, lat=(end - p["arrival_s"]) / out, e2e=end - p["arrival_s"],
            queue=sum(c["first_token_s"] - c["send_s"] for c in calls),
            dec=sum(c["end_s"] - c["first_token_s"] for c in calls),
            gap=sum(c["send_s"] - c["ready_s"] for c in calls))
    return run, progs


runs = [(a.split("=", 1)[0], *load(a.split("=", 1)[1])) for a in sys.argv[1:]]
base = runs[0]
buckets = [(1, 1), (2, 3), (4, 6), (7, 10), (11, 99)]
print("| calls/program | programs | " + " | ".join(f"{n} ms/tok" for n, _, _ in runs)
      + " | " + " | ".join(f"{base[0]}/{n}" for n, _, _ in runs[1:]) + " |")
print("|---" * (2 + 2 * len(runs) - 1) + "|")
for lo, hi in buckets + [(1, 999)]:
    ids = [k for k, v in base[2].items() if lo <= v["n"] <= hi and all(k in r[2] for r in runs)]
    if not ids:
        continue
    means = [st.mean(r[2][k]["lat"] for k in ids) * 1e3 for r in runs]
    lab = f"{lo}-{hi}" if hi < 999 else "all"
    print(f"| {lab} | {len(ids)} | " + " | ".join(f"{m:.1f}" for m in means) + " | "
          + " | ".join(f"{means[0] / m:.2f}" for m in means[1:]) + " |")
print()
for name, run, progs in runs:
    calls = sum(v["n"] for v in progs.values())
    out = sum(v["out"] for v in progs.values())
    print(f"{name}: mean call queue {sum(v['queue'] for v in progs.values()) / calls * 1e3:.1f} ms, "
          f"decode per output token {sum(v['dec'] for v in progs.values()) / out * 1e3:.2f} ms, "
          f"client gap per call {sum(v['gap'] for v in progs.values()) / calls * 1e3:.1f} ms, "
          f"e2e mean {st.mean(v['e2e'] for v in progs.values()):.2f} s, "
          f"server {json.dumps({k: v for k, v in (run.get('server') or {}).items() if 'preempt' in k or 'recomp' in k})}")
