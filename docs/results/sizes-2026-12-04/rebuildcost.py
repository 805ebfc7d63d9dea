"""Cost of the learned-size rebuild, policy gittins, through the multi-level queue: the window
(``gittins_window`` W) full of ended programs (one tenant, CLASSES classes; class windows of
256), then:
- ``bins``: one binning of the global window (``ProgramSizes._bins``, tenant-weighted as the
  global table is built), the part this change vectorises; median of REPS;
- ``refresh``: a whole refresh at once (global, tenant and class tables; ``refresh``), median;
- ``call_finished``: 2,000 completed calls of programs in the window, each timed
  (``perf_counter_ns``; a refresh starts every 32 and spends up to ``REFRESH_BUDGET`` samples
  per call): median, p99, max and mean per call;
- ``add+finish``: one new call of a program in the window, started and finished through the
  queue (``add``, ``charge``, ``finish``; rebuilds included), mean over 2,000.
Runs on the tree on PYTHONPATH. Pure Python, no vLLM.
Usage: python rebuildcost.py [--windows 1000,10000] [--classes 1,16] [--reps 15]"""

import argparse
import random
import statistics
import time

from vllm_nexus.config import SchedulerConfig
from vllm_nexus.programs.queues import MultiLevelQueue


def filled(window: int, classes: int, seed: int = 0) -> MultiLevelQueue:
    rng = random.Random(seed)
    q = MultiLevelQueue(SchedulerConfig(policy="gittins", gittins_window=window))
    sizes = q.sizes
    sizes.refresh_every = 10**9  # no rebuilds while filling (setup only)
    for i in range(window + 100):
        pid = f"p{i}"
        cls = f"c{i % classes}" if classes > 1 else None
        for k in range(rng.randint(1, 6)):
            c = q.add(f"{pid}-{k}", pid, float(i), program_class=cls)
            q.set_running(c, float(i))
            q.charge(c, rng.lognormvariate(5, 1), float(i))
            q.finish(f"{pid}-{k}", float(i), output_tokens=rng.randint(20, 400))
        q.programs.end_program(pid, float(i))
    sizes.refresh_every = 32
    sizes.refresh(float(window + 100))
    return q


def timed(fn, *args) -> float:
    t = time.perf_counter_ns()
    fn(*args)
    return (time.perf_counter_ns() - t) / 1e3


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--windows", default="1000,10000")
    ap.add_argument("--classes", default="1,16")
    ap.add_argument("--reps", type=int, default=15)
    ap.add_argument("--calls", type=int, default=2000)
    a = ap.parse_args()
    for window in map(int, a.windows.split(",")):
        for classes in map(int, a.classes.split(",")):
            q = filled(window, classes)
            sizes = q.sizes
            now = float(window + 101)
            tables = (sizes.global_table is not None) + len(sizes.class_tables)
            tables += len(sizes.tenant_tables)
            bins = statistics.median(
                timed(sizes._bins, sizes._window, now, True) for _ in range(a.reps)
            )
            refresh = statistics.median(timed(sizes.refresh, now) for _ in range(a.reps))
            progs = list(sizes._window)
            times = sorted(
                timed(sizes.call_finished, now, progs[i % len(progs)]) for i in range(a.calls)
            )
            t = time.perf_counter_ns()
            for i in range(a.calls):
                p = progs[(7 * i) % len(progs)]
                c = q.add(f"x{i}", p.program_id, now, program_class=p.program_class)
                q.set_running(c, now)
                q.charge(c, 100.0, now)
                q.finish(f"x{i}", now, output_tokens=50)
            add_finish = (time.perf_counter_ns() - t) / 1e3 / a.calls
            print(
                f"window {window} classes {classes}: {tables} tables; bins {bins:.0f} us;"
                f" refresh {refresh / 1e3:.2f} ms; call_finished median {times[len(times) // 2]:.1f}"
                f" us, p99 {times[int(0.99 * len(times))]:.0f} us, max {times[-1]:.0f} us, mean"
                f" {statistics.fmean(times):.1f} us; add+finish {add_finish:.1f} us per call",
                flush=True,
            )


if __name__ == "__main__":
    main()
