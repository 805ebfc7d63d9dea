# ruff: noqa  (a throw-away measurement script, kept as run)
"""Shares of a py-spy raw profile (run_alone.py under `py-spy record -f raw`): of the samples
inside Driver.step's schedule()/update_from_output(), the share whose innermost project frame
is vllm_nexus code ("ours") vs vLLM's, and the top vllm_nexus functions (self, innermost)."""
import sys, collections
tot = ours = 0
by_fn = collections.Counter()
by_hook = collections.Counter()
HOOKS = ("_prepare_step", "_record_step", "_charge", "_free_request", "_insert_running",
         "_move_demoted", "_preempt_request", "_stop_decoding", "due")
for line in open(sys.argv[1]):
    stack, _, n = line.rstrip().rpartition(" ")
    n = int(n)
    frames = stack.split(";")
    if not any(f.startswith("Driver.step ") for f in frames):
        continue
    # only the timed calls: schedule / update_from_output below Driver.step
    i = next(i for i, f in enumerate(frames) if f.startswith("Driver.step "))
    if i + 1 >= len(frames) or not (" (vllm_nexus/" in frames[i + 1] or " (vllm/" in frames[i + 1]):
        continue
    if frames[i + 1].split(" ")[0].split(".")[-1] not in ("schedule", "update_from_output"):
        continue
    tot += n
    proj = [f for f in frames[i + 1:] if " (vllm_nexus/" in f or " (vllm/" in f]
    leaf = proj[-1]
    if " (vllm_nexus/" in leaf:
        ours += n
        by_fn[leaf.split(" (")[0] + " " + leaf.split("(")[1].split(":")[0]] += n
        # which of our hooks it is under (outermost match)
        hook = next((f.split(" ")[0].split(".")[-1] for f in proj if " (vllm_nexus/" in f and f.split(" ")[0].split(".")[-1] in HOOKS), "wrapper")
        by_hook[hook] += n
print(f"timed samples {tot}; innermost project frame in vllm_nexus: {ours} = {100*ours/max(tot,1):.2f}%")
print("by hook (share of timed samples):")
for h, n in by_hook.most_common():
    print(f"  {h:20s} {n:6d} {100*n/tot:6.2f}%")
print("top vllm_nexus functions (innermost):")
for f, n in by_fn.most_common(int(sys.argv[2]) if len(sys.argv) > 2 else 25):
    print(f"  {n:6d} {100*n/tot:6.2f}%  {f}")
