# ruff: noqa  (a throw-away measurement script, kept as run)
"""Split py-spy raw (collapsed) stacks of spy_run.py: samples inside each side's timed
schedule()/update_from_output(); for ours, the frames of vllm_nexus (by outermost
vllm_nexus hook below the wrappers) vs vLLM's code."""
import collections, re, sys

def fn(f):  # "Class.func (path:line)" -> "Class.func (path)"
    return re.sub(r":\d+\)$", ")", f)


tot = collections.Counter(); ours_parts = collections.Counter(); leaf = collections.Counter()
for line in open(sys.argv[1]):
    stack, _, n = line.rstrip().rpartition(" ")
    n = int(n)
    frames = stack.split(";")
    # find Driver.step frame
    idx = next((i for i, f in enumerate(frames) if f.startswith("Driver.step (")), None)
    if idx is None or idx + 1 >= len(frames):
        continue
    nxt = frames[idx + 1]
    if nxt.startswith(("Driver.top_up", "fake_output")):
        continue
    inner = frames[idx + 1:]
    side = "ours" if "(vllm_nexus/" in nxt else "stock"
    if side == "stock" and not ("schedule" in nxt or "update_from_output" in nxt):
        continue
    tot[side] += n
    if side == "ours":
        # the first vllm_nexus frame below the first vLLM frame, or the wrapper itself
        label = "vllm (inside ours)"
        seen_vllm = False
        for f in inner[1:]:
            if "(vllm_nexus/" in f:
                label = ("in-vllm:" if seen_vllm else "") + fn(f)
                break
            if "(vllm/" in f:
                seen_vllm = True
        else:
            if not seen_vllm:
                label = "ours wrapper self"
        ours_parts[label] += n
        if "(vllm_nexus/" in inner[-1]:
            leaf[fn(inner[-1])] += n
print(f"samples: stock {tot['stock']} ours {tot['ours']} ratio {tot['ours']/max(1,tot['stock']):.4f}")
for k, v in ours_parts.most_common(40):
    print(f"  {100*v/tot['stock']:6.2f}% of stock  {v:6d}  {k}")
print("leaf frames in vllm_nexus:")
for k, v in leaf.most_common(30):
    print(f"  {100*v/tot['stock']:6.2f}%  {v:6d}  {k}")
