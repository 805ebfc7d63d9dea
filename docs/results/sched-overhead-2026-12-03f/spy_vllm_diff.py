# ruff: noqa  (a throw-away measurement script, kept as run)
"""py-spy raw stacks of spy_run.py: vLLM's own code per function (the innermost vLLM frame
of each sample, samples inside a vllm_nexus frame below it excluded), ours' side vs stock's,
in % of stock's samples: where vLLM's code runs slower beside ours."""
import collections, re, sys

fn = lambda f: re.sub(r":\d+\)$", ")", f)
tot = collections.Counter(); by = {"stock": collections.Counter(), "ours": collections.Counter()}
for line in open(sys.argv[1]):
    stack, _, n = line.rstrip().rpartition(" ")
    n = int(n); frames = stack.split(";")
    idx = next((i for i, f in enumerate(frames) if f.startswith("Driver.step (")), None)
    if idx is None or idx + 1 >= len(frames) or frames[idx + 1].startswith(("Driver.top_up", "fake_output")):
        continue
    side = "ours" if "(vllm_nexus/" in frames[idx + 1] else "stock"
    tot[side] += n
    inner = frames[idx + 1:]
    last_vllm = None
    for f in inner:
        if "(vllm_nexus/" in f and last_vllm is not None:
            last_vllm = None; break  # inside a hook of ours called by vLLM
        if "(vllm/" in f:
            last_vllm = f
    if last_vllm is not None and not ("(vllm_nexus/" in inner[-1]):
        by[side][fn(last_vllm)] += n
s = tot["stock"]
print(f"stock {s} ours {tot['ours']} samples; vLLM-only: stock {sum(by['stock'].values())} ours {sum(by['ours'].values())} (+{100*(sum(by['ours'].values())-sum(by['stock'].values()))/s:.2f}% of stock)")
keys = set(by["stock"]) | set(by["ours"])
rows = sorted(((by["ours"][k] - by["stock"][k], k) for k in keys), reverse=True)
for d, k in rows[:int(sys.argv[2]) if len(sys.argv) > 2 else 20]:
    print(f"  {100*d/s:+6.2f}%  stock {by['stock'][k]:5d} ours {by['ours'][k]:5d}  {k}")
print("  ...")
for d, k in rows[-5:]:
    print(f"  {100*d/s:+6.2f}%  stock {by['stock'][k]:5d} ours {by['ours'][k]:5d}  {k}")
