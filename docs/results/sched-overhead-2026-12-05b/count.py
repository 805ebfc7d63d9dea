# ruff: noqa: E402  (a throw-away measurement script, kept as run)
"""Twenty-second pass (issue 16 item 5): do the two sides make vLLM do DIFFERENT WORK?

Runs issue 16's benchmark exactly as examples/sched_overhead.py does (stock and ours built as
EngineCore builds them, same seeded stream, 100k programs pre-filled, --warmup untimed steps
each, then --steps steps alternating ABBA), and per timed step and side COUNTS what vLLM's code
does: calls in the batch, tokens, new / resumed / preempted calls, calls that sample a token,
first tokens (prefill_stats finalized), block hashes computed, completions, KV blocks allocated
(in schedule) and freed (in update), cached-block-map size, output length of the batch calls.

With --loop-timer, vLLM's per-request output loop in update_from_output() also gets a
perf_counter_ns stamp at the start of every iteration and at the loop's end (a copy of vLLM's
source with two inserted calls, the same copy for both sides); each iteration's time minus the
completion's _free_request (timed separately, outermost call) is classed by what happened to
that call in it: plain decode token / token + block hash / first token / completion / no token.
Nothing in the product code changes.

    PYTHONPATH=TREE python count.py --running 512 --waiting 4096 [--loop-timer] [--policy fcfs]
"""

from __future__ import annotations

import argparse
import hashlib
import inspect
import json
import statistics
import sys
import textwrap
import time
from pathlib import Path

pc = time.perf_counter_ns
_its: list = []  # (req_id | None, t) per loop iteration start, None = loop end
_free_t: dict[str, int] = {}
_depth = [0]


def _IT(rid):
    _its.append((rid, pc()))


def rewrite_loop(V) -> None:
    import importlib

    src = textwrap.dedent(inspect.getsource(V.__dict__["update_from_output"]))
    lines = src.split("\n")
    for anchor, stmt in (
        ("assert num_tokens_scheduled > 0", "_IT(req_id)"),
        ("# Remove the stopped requests from the running and waiting", "_IT(None)"),
    ):
        for i, line in enumerate(lines):
            if anchor in line:
                ind = line[: len(line) - len(line.lstrip())]
                lines.insert(i, f"{ind}{stmt}")
                break
        else:
            raise SystemExit(f"anchor not found: {anchor}")
    mod = importlib.import_module(V.__module__)
    g = dict(mod.__dict__)
    g["_IT"] = _IT
    exec(compile("\n".join(lines), inspect.getsourcefile(V), "exec"), g)
    V.update_from_output = g["update_from_output"]


def wrap_free(cls) -> None:
    f = cls.__dict__["_free_request"]

    def w(self, request, *a, **k):
        if _depth[0]:
            return f(self, request, *a, **k)
        _depth[0] += 1
        t0 = pc()
        try:
            return f(self, request, *a, **k)
        finally:
            _free_t[request.request_id] = pc() - t0
            _depth[0] -= 1

    w.__name__ = "_free_request"
    cls._free_request = w


def ScatterStream(so, args, seed, n):
    """so.Stream whose requests are built n at a time, in a seeded random order (the rng draws
    stay in request order, so every request's content and its place in the stream are those of
    so.Stream; arrival_time is stamped when the request is handed out, as so.Stream's is)."""
    import random as _r

    class _S(so.Stream):
        def __init__(self) -> None:
            super().__init__(args, seed)
            self.buf: list = []
            self.perm = _r.Random(12345)

        def request(self):
            from vllm.v1.request import Request

            if not self.buf:
                specs = []
                a, rng = self.args, self.rng
                for _ in range(n):
                    self.n += 1
                    program = rng.randrange(a.programs)
                    mt = rng.randint(a.max_tokens // 4, a.max_tokens)
                    prompt = [rng.randrange(3, 4000) for _ in range(a.prompt_len)]
                    specs.append((self.n, program, mt, prompt))
                order = list(range(n))
                self.perm.shuffle(order)
                built = [None] * n
                for i in order:
                    k, program, mt, prompt = specs[i]
                    built[i] = Request(
                        request_id=f"r{k}", prompt_token_ids=prompt,
                        sampling_params=self.SamplingParams(
                            max_tokens=mt, ignore_eos=True,
                            extra_args={"program_id": f"p{program}"}),
                        pooling_params=None, block_hasher=self.hasher, priority=program % 8,
                    )  # fmt: skip
                self.buf = built[::-1]
            r = self.buf.pop()
            r.arrival_time = time.time()
            return r

    return _S()


FIELDS = (
    "batch", "tokens", "new", "resumed", "preempted", "sampled", "first", "hashes",
    "hashed_calls", "completions", "blocks_alloc", "blocks_freed", "cached_map",
    "mean_out_len", "mean_all_len", "prefill_calls", "cpu_us",
    "pages_req", "pages_dict", "span_req_MiB", "adjacent_dicts",
)  # fmt: skip
CLASSES = ("decode", "decode+hash", "first", "first+hash", "done", "notoken")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--running", type=int, default=512)
    ap.add_argument("--waiting", type=int, default=4096)
    ap.add_argument("--policy", default="plas")
    ap.add_argument("--nexus", type=json.loads, default={})
    ap.add_argument("--steps", type=int, default=400)
    ap.add_argument("--warmup", type=int, default=60)
    ap.add_argument("--loop-timer", action="store_true")
    ap.add_argument("--json", default="")
    ap.add_argument(
        "--scatter-alloc",
        type=int,
        default=0,
        metavar="N",
        help="diagnostic: both streams allocate their Request objects N at a time in a "
        "seeded random order (same requests, same arrival order; only where they "
        "sit in memory changes)",
    )
    ap.add_argument(
        "--second",
        default="ours",
        choices=("ours", "stock-priority"),
        help="the second side: ours (plas etc.), or vLLM's own scheduler with its "
        "priority policy (priority = program number % 8, as the benchmark's "
        "--control --control-policy priority)",
    )
    a = ap.parse_args()
    sys.path.insert(0, str(Path.cwd() / "examples"))
    import logging

    import sched_overhead as so

    logging.getLogger("vllm").setLevel(logging.WARNING)
    args = argparse.Namespace(
        running=a.running, waiting=a.waiting, programs=100000, policy=a.policy, prompt_len=64,
        max_tokens=256, max_num_batched_tokens=8192, nexus=a.nexus, seed=0,
    )  # fmt: skip
    model = so.model_dir()
    mk = (
        (lambda: ScatterStream(so, args, 0, a.scatter_alloc))
        if a.scatter_alloc
        else (lambda: so.Stream(args, 0))
    )
    stock = so.Driver("stock", so.build(None, args, model, "fcfs"), mk(), a.waiting)
    if a.second == "ours":
        ours = so.Driver(
            "ours", so.build("vllm_nexus.Scheduler", args, model, "fcfs"), mk(), a.waiting
        )
        so.prefill_programs(ours.sched, 100000, 0)
    else:
        ours = so.Driver("ours", so.build(None, args, model, "priority"), mk(), a.waiting)
    drivers = [stock, ours]
    for d in drivers:
        for _ in range(a.warmup):
            d.step(timed=False)
    if a.loop_timer:
        from vllm.v1.core.sched.scheduler import Scheduler as V

        rewrite_loop(V)
        wrap_free(V)
        if a.second == "ours":
            from vllm_nexus.programs.scheduler import Scheduler as S

            wrap_free(S)
    rows = {"stock": [], "ours": []}
    digest = {"stock": hashlib.sha256(), "ours": hashlib.sha256()}

    def addr(reqs):
        """Distinct 4 KiB pages of the batch's Request objects and of their __dict__s, the
        address span of the Request objects, and the share of walk-consecutive requests whose
        __dict__s are within 4 KiB of each other."""
        ra = [id(r) for r in reqs]
        da = [id(r.__dict__) for r in reqs]
        near = sum(1 for x, y in zip(da, da[1:], strict=False) if abs(x - y) < 4096)
        return (
            len({x >> 12 for x in ra}),
            len({x >> 12 for x in da}),
            (max(ra) - min(ra)) / 2**20 if ra else 0.0,
            near / max(len(da) - 1, 1),
        )

    cls_t = {s: {c: [0, 0] for c in CLASSES} for s in rows}  # ns, iterations
    loop_t = {s: [0, 0, 0] for s in rows}  # loop ns (minus frees), frees ns, completions

    def step(d) -> None:
        d.top_up()
        s = d.sched
        pool = s.kv_cache_manager.block_pool
        free0 = pool.get_num_free_blocks()
        c0 = time.thread_time()
        out = s.schedule()
        c1 = time.thread_time()
        free1 = pool.get_num_free_blocks()
        mro = so.fake_output(s, out)
        nst = out.num_scheduled_tokens
        reqs = [s.requests[r] for r in nst]
        before = [(len(r.block_hashes), r.prefill_stats is not None) for r in reqs]
        sampled = sum(1 for x in mro.sampled_token_ids if x)
        _its.clear()
        _free_t.clear()
        c2 = time.thread_time()
        s.update_from_output(out, mro)
        c3 = time.thread_time()
        free2 = pool.get_num_free_blocks()
        hashes = hashed = first = done = 0
        kinds = []
        for r, (nb, ps), toks in zip(reqs, before, mro.sampled_token_ids, strict=True):
            h = len(r.block_hashes) - nb
            hashes += h
            hashed += h > 0
            f = bool(ps and r.prefill_stats is None)
            first += f
            fin = r.is_finished()
            done += fin
            if fin:
                k = "done"
            elif not toks:
                k = "notoken"
            elif f:
                k = "first+hash" if h else "first"
            else:
                k = "decode+hash" if h else "decode"
            kinds.append((r.request_id, k))
        if a.loop_timer and _its:
            stamps = _its
            assert stamps[-1][0] is None and len(stamps) == len(kinds) + 1, (
                len(stamps),
                len(kinds),
            )
            ct = cls_t[d.name]
            lt = loop_t[d.name]
            for i, (rid, k) in enumerate(kinds):
                assert stamps[i][0] == rid
                dt = stamps[i + 1][1] - stamps[i][1]
                fr = _free_t.get(rid, 0)
                ct[k][0] += dt - fr
                ct[k][1] += 1
                lt[0] += dt - fr
                lt[1] += fr
            lt[2] += done
        outl = [len(r.output_token_ids) for r in reqs]
        alll = [r.num_tokens for r in reqs]
        digest[d.name].update(repr(sorted(nst.items())).encode())
        cr = out.scheduled_cached_reqs
        rows[d.name].append(
            (
                len(nst), out.total_num_scheduled_tokens, len(out.scheduled_new_reqs),
                len(cr.resumed_req_ids), len(out.preempted_req_ids), sampled, first, hashes,
                hashed, done, free0 - free1, free2 - free1,
                len(pool.cached_block_hash_to_block) if hasattr(
                    pool.cached_block_hash_to_block, "__len__") else -1,
                statistics.fmean(outl) if outl else 0.0, statistics.fmean(alll) if alll else 0.0,
                sum(1 for v in nst.values() if v > 1), 1e6 * ((c1 - c0) + (c3 - c2)),
                *addr(reqs),
            )
        )  # fmt: skip

    for i in range(a.steps):
        for d in drivers if i % 2 == 0 else drivers[::-1]:
            step(d)
    n = a.steps
    res = {"size": f"{a.running}/{a.waiting}", "policy": a.policy, "steps": n, "sides": {}}
    print(f"size {a.running}/{a.waiting} policy {a.policy}: {n} steps per side after "
          f"{a.warmup} warm-up (the benchmark's window); loop timer {a.loop_timer}; "
          f"second side {a.second}")  # fmt: skip
    print(
        "batch digests (sorted ids + tokens, every step): "
        + ", ".join(f"{k} {v.hexdigest()[:16]}" for k, v in digest.items())
    )
    res["digests"] = {k: v.hexdigest()[:16] for k, v in digest.items()}
    print(f"{'per step':<16}{'stock':>10}{'ours':>10}{'ours-stock':>12}")
    means = {}
    for side in rows:
        cols = list(zip(*rows[side], strict=True))
        means[side] = {f: statistics.fmean(c) for f, c in zip(FIELDS, cols, strict=True)}
        res["sides"][side] = {"mean": means[side], "rows": rows[side]}
    for f in FIELDS:
        s_, o_ = means["stock"][f], means["ours"][f]
        print(f"{f:<16}{s_:10.3f}{o_:10.3f}{o_ - s_:+12.3f}")
    if a.loop_timer:
        print("vLLM's per-request output loop (perf_counter, minus _free_request), per step:")
        print(f"{'class':<14}{'it/step s':>10}{'o':>8}{'us/it s':>9}{'o':>8}{'us/step s':>10}"
              f"{'o':>8}{'o-s':>8}")  # fmt: skip
        res["classes"] = {}
        for k in CLASSES:
            s_ns, s_c = cls_t["stock"][k]
            o_ns, o_c = cls_t["ours"][k]
            sps, ops = s_ns / n / 1e3, o_ns / n / 1e3
            print(f"{k:<14}{s_c / n:10.2f}{o_c / n:8.2f}{s_ns / max(s_c, 1) / 1e3:9.3f}"
                  f"{o_ns / max(o_c, 1) / 1e3:8.3f}{sps:10.1f}{ops:8.1f}{ops - sps:+8.1f}")  # fmt: skip
            res["classes"][k] = {"stock": [s_ns, s_c], "ours": [o_ns, o_c]}
        for side in ("stock", "ours"):
            lt = loop_t[side]
            print(
                f"{side}: loop {lt[0] / n / 1e3:.1f} us/step (minus frees), _free_request "
                f"{lt[1] / n / 1e3:.1f} us/step for {lt[2] / n:.2f} completions/step "
                f"({lt[1] / max(lt[2], 1) / 1e3:.1f} us each, ours' part included)"
            )
        res["loop"] = loop_t
    if a.json:
        Path(a.json).write_text(json.dumps(res))


if __name__ == "__main__":
    main()
