# ruff: noqa: E402  (a throw-away diagnostic, kept as run)
"""Twenty-second pass: are the vLLM Request objects in ours' batch shaped differently?

Runs the benchmark's two sides (as count.py, no timer) for --warmup + --steps steps, then
compares the running requests of each side: attribute count, key order of their __dict__
(against the order a fresh Request has), dict size in bytes, and which attributes were added
after __init__ and in what order. vars() is only read at the end (it would materialize an
inline-values dict; the reading changes nothing that was measured)."""

from __future__ import annotations

import argparse
import collections
import sys
from pathlib import Path


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--running", type=int, default=512)
    ap.add_argument("--waiting", type=int, default=4096)
    ap.add_argument("--policy", default="plas")
    ap.add_argument("--steps", type=int, default=200)
    ap.add_argument("--warmup", type=int, default=60)
    a = ap.parse_args()
    sys.path.insert(0, str(Path.cwd() / "examples"))
    import logging

    import sched_overhead as so

    logging.getLogger("vllm").setLevel(logging.WARNING)
    args = argparse.Namespace(
        running=a.running, waiting=a.waiting, programs=100000, policy=a.policy, prompt_len=64,
        max_tokens=256, max_num_batched_tokens=8192, nexus={}, seed=0,
    )  # fmt: skip
    model = so.model_dir()
    stock = so.Driver("stock", so.build(None, args, model, "fcfs"), so.Stream(args, 0), a.waiting)
    ours = so.Driver(
        "ours", so.build("vllm_nexus.Scheduler", args, model, "fcfs"), so.Stream(args, 0), a.waiting
    )
    so.prefill_programs(ours.sched, 100000, 0)
    for d in (stock, ours):
        for _ in range(a.warmup):
            d.step(timed=False)
    for i in range(a.steps):
        for d in (stock, ours) if i % 2 == 0 else (ours, stock):
            d.step(timed=True)
    fresh = so.Stream(args, 99).request()
    base = list(vars(fresh))
    print(
        f"a fresh Request has {len(base)} attributes; sys.getsizeof(vars) {sys.getsizeof(vars(fresh))}"
    )
    for d in (stock, ours):
        s = d.sched
        run = list(s.running)
        orders = collections.Counter()
        sizes = collections.Counter()
        added = collections.Counter()
        for r in run:
            keys = list(vars(r))
            orders[tuple(keys)] += 1
            sizes[sys.getsizeof(vars(r))] += 1
            extra = tuple(k for k in keys if k not in base)
            added[extra] += 1
        print(
            f"{d.name}: {len(run)} running; {len(orders)} distinct key orders; dict sizes {dict(sizes)}"
        )
        for extra, n in added.most_common(5):
            print(f"   {n:5d} with attributes added after __init__: {extra}")
        same_prefix = sum(1 for o in orders.elements() if list(o[: len(base)]) == base)
        print(f"   {same_prefix} keep the fresh order for the __init__ attributes")
        w = list(s.waiting)[:2000]
        ws = collections.Counter(sys.getsizeof(vars(r)) for r in w)
        print(
            f"   waiting (first {len(w)}): dict sizes {dict(ws)}; request numbers running: "
            f"min {min(int(r.request_id[1:]) for r in run)} max {max(int(r.request_id[1:]) for r in run)}"
        )
        live = sorted(s.requests.values(), key=lambda r: int(r.request_id[1:]))
        pairs = [
            (x, y)
            for x, y in zip(live, live[1:], strict=False)
            if int(y.request_id[1:]) == int(x.request_id[1:]) + 1
        ]
        for what, f in (
            ("Request", id),
            ("__dict__", lambda r: id(r.__dict__)),
            ("_all_token_ids", lambda r: id(r._all_token_ids)),
            ("sampling_params", lambda r: id(r.sampling_params)),
        ):
            ds = sorted(abs(f(y) - f(x)) for x, y in pairs)
            near = sum(1 for v in ds if v < 4096) / max(len(ds), 1)
            print(
                f"   {what:<16} creation-consecutive live pairs {len(ds)}: within 4 KiB {near:.2f}, "
                f"median |delta| {ds[len(ds) // 2] if ds else 0} B"
            )
        print(f"   requests dict: {len(s.requests)} entries, {sys.getsizeof(s.requests)} bytes")


if __name__ == "__main__":
    main()
