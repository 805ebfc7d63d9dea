"""CPU cost of ``preemption_size_check`` (now on by default) inside the multi-level queue,
the parts a scheduler step can pay: (1) the rank-table rebuild (``ProgramSizes.refresh``),
which ``finish`` triggers every ``refresh_every`` (32) completed calls, with the default
window (``gittins_window`` 1000) full of ended programs, spread over CLASSES program classes
(per-class tables, window 256 each, rebuilt at every refresh); (2) one ``size_allows`` check
(two rank lookups), what each candidate victim costs in the preemption search; (3) ``finish``
of a call, rebuilds included, with and without the check. Timing:
``time.thread_time``, medians of repeated runs. Pure Python, no vLLM.
Usage: python gatecost.py [--classes 1,16,256]"""

import argparse
import random
import statistics
import time

from vllm_nexus.config import SchedulerConfig
from vllm_nexus.programs.queues import MultiLevelQueue


def filled(classes: int, programs: int, seed: int = 0, **kw) -> MultiLevelQueue:
    rng = random.Random(seed)
    q = MultiLevelQueue(SchedulerConfig(**kw))
    gate = q.size_gate
    if gate is not None:
        gate.refresh_every = 10**9  # no rebuilds while filling (setup time only)
    for i in range(programs):
        pid = f"p{i}"
        cls = f"c{i % classes}" if classes > 1 else None
        for k in range(rng.randint(1, 6)):
            c = q.add(f"{pid}-{k}", pid, float(i), program_class=cls)
            q.set_running(c, float(i))
            q.charge(c, rng.lognormvariate(5, 1), float(i))
            q.finish(f"{pid}-{k}", float(i), output_tokens=rng.randint(20, 400))
        q.programs.end_program(pid, float(i))
    if gate is not None:
        gate.refresh_every = 32
        gate.refresh(float(programs))
    return q


def per_call(fn, n: int, *args) -> float:
    t = time.thread_time()
    for _ in range(n):
        fn(*args)
    return (time.thread_time() - t) / n


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--classes", default="1,16,256")
    ap.add_argument("--programs", type=int, default=4000)
    ap.add_argument("--reps", type=int, default=7)
    a = ap.parse_args()
    for classes in map(int, a.classes.split(",")):
        programs = max(a.programs, classes * 260)
        q = filled(classes, programs, preemption_size_check=True)
        gate = q.size_gate
        now = float(programs + 1)
        gate.refresh(now)
        tables = len(gate.class_tables) + (gate.global_table is not None)
        refresh = statistics.median(per_call(gate.refresh, 3, now) for _ in range(a.reps))
        # size_allows: a waiting call of a new program against a running one of an older program
        head = q.add("h", "new", now, program_class="c0" if classes > 1 else None)
        old = q.add("v", "old", now, program_class="c1" if classes > 1 else None)
        q.set_running(old, now)
        q.charge(old, 300.0, now)
        allows = statistics.median(per_call(q.size_allows, 20000, old, head) for _ in range(a.reps))
        print(
            f"classes {classes}: {programs} ended programs, {tables} rank tables;"
            f" refresh {refresh * 1e3:.2f} ms (every 32 completed calls:"
            f" {refresh / 32 * 1e6:.0f} us per completed call amortised);"
            f" size_allows {allows * 1e6:.2f} us per candidate victim"
        )
    # finish of 600 calls (~19 rebuilds when on), check on vs off, the window full
    for check in (False, True):
        q = filled(1, 1200, preemption_size_check=check)
        times = []
        for r in range(a.reps):
            calls = [q.add(f"x{r}-{i}", f"y{i % 50}", 1e6) for i in range(600)]
            for c in calls:
                q.set_running(c, 1e6)
                q.charge(c, 10.0, 1e6)
            t = time.thread_time()
            for c in calls:
                q.finish(c.call_id, 1e6, output_tokens=10)
            times.append((time.thread_time() - t) / len(calls))
        print(
            f"finish, preemption_size_check {check}: {statistics.median(times) * 1e6:.2f} us per"
            " call (rebuilds included: one in 32 calls when on)"
        )


if __name__ == "__main__":
    main()
