# ruff: noqa  (a throw-away measurement script, kept as run)
"""py-spy raw stacks: samples under a function (first frame matching PATTERN, inside the
timed steps of ours), split by its child frames, in % of stock's samples (spy_split.py)."""
import collections, re, sys

raw, pattern = sys.argv[1], sys.argv[2]
depth = int(sys.argv[3]) if len(sys.argv) > 3 else 1
fn = lambda f: re.sub(r":\d+\)$", ")", f)
stock = 0; kids = collections.Counter(); total = 0
for line in open(raw):
    stack, _, n = line.rstrip().rpartition(" ")
    n = int(n); frames = stack.split(";")
    idx = next((i for i, f in enumerate(frames) if f.startswith("Driver.step (")), None)
    if idx is None or idx + 1 >= len(frames) or frames[idx + 1].startswith(("Driver.top_up", "fake_output")):
        continue
    if "(vllm_nexus/" not in frames[idx + 1]:
        stock += n; continue
    j = next((i for i in range(idx + 1, len(frames)) if re.search(pattern, frames[i])), None)
    if j is None:
        continue
    total += n
    kids[" > ".join(fn(f) for f in frames[j + 1 : j + 1 + depth]) or "(self)"] += n
print(f"{pattern}: {100*total/stock:.2f}% of stock ({total} samples)")
for k, v in kids.most_common(25):
    print(f"  {100*v/stock:6.2f}%  {v:5d}  {k}")
