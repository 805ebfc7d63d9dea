"""Cost of the learned-size refresh per completed call, as a scheduler step pays it: the
window full of ended programs spread over CLASSES classes (docs/results/lats-2026-12-03e/
gatecost.py's ``filled``), then 2,000 completed calls of programs already in the window;
prints the time of every ``ProgramSizes.call_finished`` (refreshes included: one starts every
32 calls): median, p99 and max per call, and the mean. Timing: ``time.perf_counter_ns``
around each call (the max is what one step can pay). Also the synchronous ``refresh`` (all
tables at once). Pure Python, no vLLM.
Usage: python refreshcost.py [--classes 1,4,16,64]"""

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "lats-2026-12-03e"))
from gatecost import filled  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--classes", default="1,4,16,64")
    ap.add_argument("--calls", type=int, default=2000)
    a = ap.parse_args()
    for classes in map(int, a.classes.split(",")):
        programs = max(4000, classes * 260)
        q = filled(classes, programs, preemption_size_check=True)
        gate = q.size_gate
        now = float(programs + 1)
        t = time.perf_counter_ns()
        gate.refresh(now)
        sync_ms = (time.perf_counter_ns() - t) / 1e6
        tables = len(gate.class_tables) + (gate.global_table is not None)
        progs = list(gate._window)
        times = []
        for i in range(a.calls):
            p = progs[i % len(progs)]
            t = time.perf_counter_ns()
            gate.call_finished(now, p)
            times.append((time.perf_counter_ns() - t) / 1e3)
        times.sort()
        print(
            f"classes {classes}: {tables} rank tables; refresh at once {sync_ms:.2f} ms;"
            f" call_finished over {a.calls} calls: median {statistics.median(times):.1f} us,"
            f" p99 {times[int(0.99 * len(times))]:.0f} us, max {times[-1]:.0f} us,"
            f" mean {statistics.fmean(times):.1f} us; {gate.version} refreshes done"
        )


if __name__ == "__main__":
    main()
