# ruff: noqa  (a throw-away measurement script, kept as run)
"""A/A control with a second scheduler TYPE: examples/sched_overhead.py --control, the second
stock scheduler built as ``StockSub`` (a subclass of vLLM's Scheduler that adds nothing).
vLLM's code then runs on two scheduler types in one process, as in stock-vs-ours: what that
alone costs either side (CPython's inline caches in vLLM's code see two receiver types).
  PYTHONPATH=TREE:this_dir python stocksub.py --control --running 64 --waiting 256 ..."""
import os, sys
from vllm.v1.core.sched.scheduler import Scheduler as _V


class StockSub(_V):
    pass


if __name__ == "__main__":
    sys.path.insert(0, os.path.join(os.environ.get("TREE", "."), "examples"))
    import sched_overhead as so
    orig, n = so.build, [0]

    def build(cls, args, model, policy="fcfs"):
        n[0] += 1
        return orig("stocksub.StockSub" if n[0] == 2 else cls, args, model, policy)

    so.build = build
    so.main()
