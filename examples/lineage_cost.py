"""CPU cost and memory of lineage inference (vllm_nexus.programs.lineage), per call.

    python examples/lineage_cost.py

Prints process-CPU microseconds for hashing a prompt, matching it, and remembering a
completed call, and the memory one remembered call takes (tracemalloc). No engine needed.
"""

from __future__ import annotations

import random
import time
import tracemalloc

from vllm_nexus.programs.lineage import LineageIndex


def cpu_us(fn, n: int = 1000) -> float:
    start = time.process_time()
    for _ in range(n):
        fn()
    return (time.process_time() - start) / n * 1e6


def main() -> None:
    rng = random.Random(0)
    idx = LineageIndex()
    output = [rng.randrange(50_000) for _ in range(60)]
    for _ in range(5_000):  # a realistically filled index
        prompt = [rng.randrange(50_000) for _ in range(100)]
        idx.record(idx.prompt(prompt).key, len(prompt), output, "p", 0.0)
    for n in (500, 2_000, 8_000):
        prompt = [rng.randrange(50_000) for _ in range(n)]
        hashed = idx.prompt(prompt)
        print(
            f"prompt {n:>5} tokens: hash {cpu_us(lambda p=prompt: idx.prompt(p)):7.1f} us, "
            f"match {cpu_us(lambda h=hashed: idx.match(h, 0.0)):6.1f} us"
        )
    print(
        f"remember a completed call (60-token output): {cpu_us(lambda: idx.record(1, 100, output, 'p', 0.0)):.1f} us"
    )
    prompt = [rng.randrange(50_000) for _ in range(100)]
    outputs = [[rng.randrange(50_000) for _ in range(rng.randint(64, 256))] for _ in range(32)]

    def batch(explicit: bool) -> None:  # what the scheduler does: queue, hash 32 at once
        for out in outputs:
            if explicit:
                idx.defer(None, len(prompt), out, "p", 0.0, prompt_ids=prompt)
            else:
                idx.defer(1, len(prompt), out, "p", 0.0)
        idx.flush()

    def one_by_one(explicit: bool) -> None:
        for out in outputs:
            key = idx.prompt(prompt).key if explicit else 1
            idx.record(key, len(prompt), out, "p", 0.0)

    for explicit in (False, True):
        what = "explicit call (prompt hashed too)" if explicit else "id-less call"
        each = cpu_us(lambda e=explicit: one_by_one(e), 100) / len(outputs)
        batched = cpu_us(lambda e=explicit: batch(e), 100) / len(outputs)
        print(
            f"remember a completed {what}, 64-256 output tokens: {each:.1f} us one by one, "
            f"{batched:.1f} us in batches of {len(outputs)}"
        )
    fresh = LineageIndex(max_calls=20_000)
    tracemalloc.start()
    base = tracemalloc.take_snapshot()
    for i in range(20_000):
        fresh.record(rng.getrandbits(64), 300, output, f"p{i % 3000}", 0.0)
    grown = sum(s.size_diff for s in tracemalloc.take_snapshot().compare_to(base, "filename"))
    print(
        f"memory per remembered call: {grown / 20_000:.0f} bytes (filter: {fresh._filter.nbytes} bytes)"
    )


if __name__ == "__main__":
    main()
