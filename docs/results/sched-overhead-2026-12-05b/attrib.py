# ruff: noqa: E402  (a throw-away measurement script, kept as run)
"""Attribution of ours' extra CPU per step with a real clock (twentieth pass, issue 16 item 5;
twenty-second pass: + --scatter-alloc).

Runs issue 16's benchmark stream (examples/sched_overhead.py: stock and ours built as EngineCore
builds them, synthetic requests and outputs, alternating ABBA in one process), first PLAIN (no
instrumentation: the reference ratio of this process), then INSTRUMENTED: every part of the
step is a *label*; a switch reads time.perf_counter_ns() and adds the time since the last
switch to the current label (self time; the switch's own bookkeeping is excluded, so the
labels of a step add up to its timed time minus the instrumentation's cost, reported as
"unattributed"). Labels come from wrappers on methods (class-level, so vLLM's methods carry
the same label beside stock and beside ours) and from switches inserted into copies of vLLM's
``schedule()`` / ``update_from_output()`` source (running loop, waiting loop, tail; the
per-request output loop, tail). Nothing in the product code changes.

    PYTHONPATH=TREE python attrib.py --running 64 --waiting 256 [--policy fcfs]
"""

from __future__ import annotations

import argparse
import inspect
import json
import sys
import textwrap
import time
from pathlib import Path

pc = time.perf_counter_ns
tt = time.thread_time_ns
_acc: dict[str, int] = {}
_cnt: dict[str, int] = {}
_kids: dict[str, int] = {}
_cur = "untimed"
_t = 0


def SW(label: str) -> str:
    global _cur, _t
    now = pc()
    a = _acc
    a[_cur] = a.get(_cur, 0) + now - _t
    prev = _cur
    _cur = label
    _t = pc()
    return prev


def wrap(cls, name: str, label: str) -> None:
    f = cls.__dict__[name] if name in cls.__dict__ else getattr(cls, name)

    def w(*a, **k):
        _cnt[label] = _cnt.get(label, 0) + 1
        _kids[_cur] = _kids.get(_cur, 0) + 1
        prev = SW(label)
        try:
            return f(*a, **k)
        finally:
            SW(prev)

    w.__name__ = name
    setattr(cls, name, w)


def rewrite(cls, name: str, marks: list[tuple[str, str]], entry_label: str) -> None:
    """Copy of cls.name with SW(label) inserted before the first line containing each anchor."""
    import importlib

    src = textwrap.dedent(inspect.getsource(cls.__dict__[name]))
    lines = src.split("\n")
    for anchor, label in marks:
        for i, line in enumerate(lines):
            if anchor in line:
                ind = line[: len(line) - len(line.lstrip())]
                lines.insert(i, f"{ind}SW({label!r})")
                break
        else:
            raise SystemExit(f"anchor not found: {anchor}")
    mod = importlib.import_module(cls.__module__)
    g = dict(mod.__dict__)
    g["SW"] = SW
    exec(compile("\n".join(lines), inspect.getsourcefile(cls), "exec"), g)
    setattr(cls, name, g[name])
    wrap(cls, name, entry_label)


FINE = False


_gc_prev: list[str] = []


def _gc_cb(phase: str, info: dict) -> None:
    """Collections are a label of their own (gc.genN), wherever they happen."""
    if phase == "start":
        _cnt_label = f"gc.gen{info['generation']}"
        _cnt[_cnt_label] = _cnt.get(_cnt_label, 0) + 1
        _gc_prev.append(SW(_cnt_label))
    elif _gc_prev:
        SW(_gc_prev.pop())


def instrument() -> None:
    import gc

    gc.callbacks.append(_gc_cb)
    from vllm.v1.core.sched import request_queue as rq
    from vllm.v1.core.sched.scheduler import Scheduler as V

    from vllm_nexus.programs import scheduler as ns
    from vllm_nexus.programs.decode_charge import DecodeCharges
    from vllm_nexus.programs.queues import MultiLevelQueue
    from vllm_nexus.programs.request_queue import ProgramRequestQueue
    from vllm_nexus.programs.tenants import TenantLedger

    rewrite(
        V,
        "schedule",
        [
            ("# First, schedule the RUNNING requests.", "vllm.sched.running"),
            ("# Next, schedule the WAITING requests.", "vllm.sched.waiting"),
            ("# Check if the scheduling constraints are satisfied.", "vllm.sched.tail"),
        ],
        "vllm.sched.head",
    )
    rewrite(
        V,
        "update_from_output",
        [
            ("stopped_running_reqs: set[Request] = set()", "vllm.update.loop"),
            ("# Remove the stopped requests from the running and waiting", "vllm.update.tail"),
        ],
        "vllm.update.head",
    )
    wrap(V, "_free_request", "vllm.free")
    wrap(V, "_preempt_request", "vllm.preempt")
    for qcls in (rq.FCFSRequestQueue, ProgramRequestQueue):
        for m in (
            "add_request", "pop_request", "peek_request", "prepend_request",
            "prepend_requests", "remove_request", "remove_requests", "__bool__", "__len__",
        ):  # fmt: skip
            if m in qcls.__dict__:
                wrap(qcls, m, "queue")
    wrap(ProgramRequestQueue, "update_many", "ours.prepare.update_many")
    S = ns.Scheduler
    wrap(S, "schedule", "ours.sched.wrapper")
    wrap(S, "_prepare_step", "ours.prepare.self")
    for m in ("promote_due", "take_moved", "relevel_all"):
        wrap(MultiLevelQueue, m, "ours.prepare." + m)
    wrap(MultiLevelQueue, "observe_load", "ours.prepare.load")
    wrap(MultiLevelQueue, "pick_victims", "ours.prepare.pick")
    wrap(S, "_kv_victims", "ours.prepare.pick")
    wrap(S, "_recompute_estimator", "ours.prepare.pick")
    wrap(S, "_preempt_call", "ours.prepare.preempt_call")
    wrap(S, "_preempt_request", "ours.preempt_hook")
    wrap(S, "_insert_running", "ours.running_order")
    wrap(S, "_remove_running", "ours.running_order")
    wrap(S, "_record_step", "ours.record")
    if hasattr(S, "_record_quiet"):  # the twentieth pass's quiet-step slot (candidate tree)
        wrap(S, "_record_quiet", "ours.record")
        wrap(S, "_charge_quiet", "ours.charge")
    wrap(S, "update_from_output", "ours.update.wrapper")
    wrap(S, "_charge", "ours.charge")
    wrap(TenantLedger, "charge", "ours.tenant_charge")
    wrap(DecodeCharges, "due", "ours.decode_due")
    wrap(S, "_move_demoted", "ours.demote_move")
    wrap(S, "_free_request", "ours.free")
    if FINE:
        from vllm_nexus.programs.assignment import ProgramAssigner
        from vllm_nexus.programs.levels import LevelScale
        from vllm_nexus.programs.metrics import SchedulerMetrics
        from vllm_nexus.programs.table import ProgramTable

        wrap(DecodeCharges, "stop", "ours.free.decode_stop")
        wrap(MultiLevelQueue, "finish", "ours.free.finish")
        wrap(ProgramTable, "call_finished", "ours.free.table")
        wrap(ProgramTable, "pack_cold", "ours.free.pack")
        wrap(ProgramTable, "evict", "ours.free.evict")
        wrap(LevelScale, "observe", "ours.free.levels")
        wrap(TenantLedger, "call_ended", "ours.free.tenant")
        wrap(ProgramAssigner, "finished", "ours.free.assigner")
        wrap(SchedulerMetrics, "observe_program_service", "ours.free.metrics")
        wrap(MultiLevelQueue, "set_running", "ours.record.set_running")
        from vllm_nexus.programs.sizes import ProgramSizes

        wrap(ProgramSizes, "call_finished", "ours.free.size_models")
        import os

        if os.environ.get("FINE2"):
            from vllm_nexus.programs import table as tb

            wrap(ProgramTable, "_release", "ours.free.table._release")
            wrap(tb.IdQueue, "push", "ours.free.table.idle_push")
            wrap(ProgramTable, "get", "ours.free.table.get")
            wrap(MultiLevelQueue, "_unwatch", "ours.free.finish._unwatch")
            wrap(MultiLevelQueue, "_unindex", "ours.free.finish._unindex")
            wrap(MultiLevelQueue, "_watch", "ours.watch")
            wrap(MultiLevelQueue, "charge", "ours.mlq.charge")
            from vllm_nexus.programs.sizes import SamplePool

            wrap(SamplePool, "observe", "ours.free.size_models.pool_observe")
            wrap(ProgramSizes, "_build", "ours.free.size_models.build")
        wrap(MultiLevelQueue, "set_waiting", "ours.set_waiting")
        wrap(DecodeCharges, "step_counts", "ours.record.step_counts")
        wrap(MultiLevelQueue, "charge_all", "ours.charge.charge_all")


def main() -> None:
    global _acc, _cnt, _cur, _t, _kids
    ap = argparse.ArgumentParser()
    ap.add_argument("--running", type=int, default=64)
    ap.add_argument("--waiting", type=int, default=256)
    ap.add_argument("--policy", default="plas")
    ap.add_argument("--nexus", type=json.loads, default={})
    ap.add_argument("--plain-steps", type=int, default=300)
    ap.add_argument("--steps", type=int, default=400)
    ap.add_argument("--warmup", type=int, default=60)
    ap.add_argument("--iwarm", type=int, default=60, help="instrumented untimed steps")
    ap.add_argument("--json", default="")
    ap.add_argument("--fine", action="store_true", help="also label the completion path's parts")
    ap.add_argument("--reorder-ours", default="none", choices=("none", "admission", "shuffle"),
                    help="twenty-first pass: hand ours' update_from_output its scheduled calls in "
                         "this order (untimed; the locality test)")
    ap.add_argument("--reorder-stock", default="none", choices=("none", "admission", "shuffle"))
    ap.add_argument("--flush-mib", type=float, default=0.0,
                    help="twenty-first pass: before ours' update_from_output (untimed), write one "
                         "byte per 64 of a buffer this large (evicts the caches: the cold-cache test)")
    ap.add_argument("--block", type=int, default=1,
                    help="twenty-first pass: timed steps in blocks of this many per side, the "
                         "blocks alternating (1: every step alternates, as the benchmark)")
    ap.add_argument("--no-gc", action="store_true",
                    help="twenty-first pass: gc.disable() after the warm-up (the collector test)")
    ap.add_argument("--scatter-alloc", type=int, default=0,
                    help="twenty-second pass: both streams build their requests N at a time in a "
                         "seeded random allocation order (needs the scat tree's sched_overhead.py)")
    a = ap.parse_args()
    global FINE
    FINE = a.fine
    sys.path.insert(0, str(Path.cwd() / "examples"))
    import logging

    import sched_overhead as so

    logging.getLogger("vllm").setLevel(logging.WARNING)
    args = argparse.Namespace(
        running=a.running, waiting=a.waiting, programs=100000, policy=a.policy, prompt_len=64,
        max_tokens=256, max_num_batched_tokens=8192, nexus=a.nexus, seed=0,
    )  # fmt: skip
    model = so.model_dir()
    if a.scatter_alloc:
        so.SCATTER[0] = a.scatter_alloc
        so.Stream = so.ScatterStream
    stock = so.Driver("stock", so.build(None, args, model, "fcfs"), so.Stream(args, 0), a.waiting)
    ours = so.Driver(
        "ours", so.build("vllm_nexus.Scheduler", args, model, "fcfs"), so.Stream(args, 0), a.waiting
    )
    so.prefill_programs(ours.sched, 100000, 0)
    drivers = [stock, ours]
    for d in drivers:
        for _ in range(a.warmup):
            d.step(timed=False)
    # PLAIN: the uninstrumented ratio in this process (the same loop as the benchmark)
    for i in range(a.plain_steps):
        for d in drivers if i % 2 == 0 else drivers[::-1]:
            d.step(timed=True)
    plain = {d.name: 1e6 * d.cpu / max(d.steps, 1) for d in drivers}  # us/step
    plain_tokens = {d.name: d.tokens / max(d.steps, 1) for d in drivers}
    instrument()
    if a.no_gc:
        import gc as _gc

        _gc.collect()
        _gc.disable()
    ACC = {"stock": {}, "ours": {}}
    CNT = {"stock": {}, "ours": {}}
    KIDS = {"stock": {}, "ours": {}}
    tot = {"stock": [0, 0], "ours": [0, 0]}  # thread_time, perf_counter over the timed calls
    ev = {"stock": [0, 0], "ours": [0, 0]}  # tokens, preemptions

    import random as _random

    _rng = _random.Random(1)
    reorder = {"stock": a.reorder_stock, "ours": a.reorder_ours}
    flush = bytearray(int(a.flush_mib * 2**20)) if a.flush_mib > 0 else None
    ones = bytes([1]) * (len(flush) // 64) if flush is not None else b""

    def reordered(out, mode: str) -> None:
        """Re-insert out.num_scheduled_tokens in admission order (request number) or a
        seeded shuffle: vLLM's update loop (and the synthetic output) then walk that order."""
        nst = out.num_scheduled_tokens
        items = list(nst.items())
        if mode == "admission":
            items.sort(key=lambda kv: int(kv[0][1:]))
        else:
            _rng.shuffle(items)
        nst.clear()
        nst.update(items)

    def step(d, timed: bool) -> None:
        global _acc, _cnt, _cur, _t, _kids
        d.top_up()
        s = d.sched
        _acc, _cnt, _kids = (ACC[d.name], CNT[d.name], KIDS[d.name]) if timed else ({}, {}, {})
        _cur, _t = "untimed", pc()
        c0, p0 = tt(), pc()
        SW("outer")
        out = s.schedule()
        SW("untimed")
        c1, p1 = tt(), pc()
        if reorder[d.name] != "none":
            reordered(out, reorder[d.name])
        mro = so.fake_output(s, out)
        if flush is not None and d.name == "ours":
            flush[::64] = ones
        c2, p2 = tt(), pc()
        SW("outer")
        s.update_from_output(out, mro)
        SW("untimed")
        c3, p3 = tt(), pc()
        if timed:
            t = tot[d.name]
            t[0] += (c1 - c0) + (c3 - c2)
            t[1] += (p1 - p0) + (p3 - p2)
            ev[d.name][0] += out.total_num_scheduled_tokens
            ev[d.name][1] += len(out.preempted_req_ids)

    for d in drivers:
        for _ in range(a.iwarm):
            step(d, False)
    mlq = ours.sched.mlq
    c0 = (mlq.promotions_total, mlq.version, mlq.demotions_total, mlq.starvation_threshold)
    blk = max(1, a.block)
    for b, i0 in enumerate(range(0, a.steps, blk)):
        if blk == 1:  # the benchmark's order: the two sides alternate every step (ABBA)
            for d in drivers if i0 % 2 == 0 else drivers[::-1]:
                step(d, True)
            continue
        for d in drivers if b % 2 == 0 else drivers[::-1]:  # blocks of blk steps per side
            for _ in range(min(blk, a.steps - i0)):
                step(d, True)
    # calibration: what one wrapper adds to the callee's label (d_in) and the caller's (d_out)
    class Cal:
        def f(self):
            return None

    obj, N = Cal(), 20000
    cal_acc: dict[str, int] = {}
    d_in = d_out = 0.0
    for _rep in range(3):
        _acc, _cnt, _kids = cal_acc, {}, {}
        cal_acc.clear()
        if "f" in Cal.__dict__ and Cal.__dict__["f"].__name__ == "f" and _rep == 0:
            pass
        _cur, _t = "untimed", pc()
        SW("cal.base")
        for _ in range(N):
            obj.f()
        SW("untimed")
        base = cal_acc["cal.base"] / N
        Cal.f = Cal.__dict__["f"]
        wrapped = Cal.__dict__["f"]
        if _rep == 0:
            wrap(Cal, "f", "cal.callee")
        SW("cal.caller")
        for _ in range(N):
            obj.f()
        SW("untimed")
        d_in = cal_acc["cal.callee"] / N
        d_out = cal_acc["cal.caller"] / N - base
        del wrapped
    print(f"calibration: a wrapped call adds {d_in / 1e3:.3f} us to its own label, "
          f"{d_out / 1e3:.3f} us to its caller's (plain call {base / 1e3:.3f} us)")  # fmt: skip
    n = a.steps
    c1 = (mlq.promotions_total, mlq.version, mlq.demotions_total, mlq.starvation_threshold)
    print(f"ours in the timed steps: {c1[0] - c0[0]} starvation promotions, {c1[1] - c0[1]} "
          f"level/rank rebuilds, {c1[2] - c0[2]} demotions; threshold {c0[3]:.3g} -> {c1[3]:.3g}")
    counts = [c1[0] - c0[0], c1[1] - c0[1], c1[2] - c0[2]]
    labels = sorted(set(ACC["stock"]) | set(ACC["ours"]) - {"untimed"})
    labels = [x for x in labels if x != "untimed"]
    res = {"plain_us": plain, "plain_ratio": plain["ours"] / max(plain["stock"], 1e-9),
           "plain_tokens": plain_tokens, "steps": n, "policy": a.policy,
           "size": f"{a.running}/{a.waiting}", "ours_counts": counts,
           "reorder": reorder, "no_gc": a.no_gc,
           "flush_mib": a.flush_mib, "block": a.block}  # fmt: skip
    print(
        f"size {a.running}/{a.waiting} policy {a.policy}: PLAIN ({a.plain_steps} steps) "
        f"stock {plain['stock']:.1f} us ours {plain['ours']:.1f} us per step, ratio "
        f"{plain['ours'] / max(plain['stock'], 1e-9):.4f}, gap {plain['ours'] - plain['stock']:.1f} us; "
        f"tokens/step {plain_tokens['stock']:.2f} / {plain_tokens['ours']:.2f}"
    )
    for side in ("stock", "ours"):
        cpu, wall = tot[side][0] / n / 1e3, tot[side][1] / n / 1e3
        summed = sum(v for k, v in ACC[side].items() if k != "untimed") / n / 1e3
        res[side] = {"cpu_us": cpu, "wall_us": wall, "labels_us": summed,
                     "unattributed_us": wall - summed,
                     "tokens": ev[side][0] / n, "preemptions": ev[side][1]}  # fmt: skip
        print(
            f"INSTRUMENTED {side}: thread_time {cpu:.1f} us, perf_counter {wall:.1f} us per step; "
            f"labels sum {summed:.1f} us, unattributed {wall - summed:.1f} us; "
            f"{ev[side][0] / n:.2f} tokens/step, {ev[side][1]} preemptions in {n} steps"
        )
    print("corrected = raw - calls x d_in - wrapped callees x d_out (us per step)")
    print(f"{'label':<28}{'stock us':>10}{'ours us':>10}{'ours-stock':>11}{'raw o-s':>9}"
          f"{'calls/step s':>14}{'o':>8}")  # fmt: skip
    rows = {}
    corr_sum = {"stock": 0.0, "ours": 0.0}
    for k in labels:
        v = {}
        for side in ("stock", "ours"):
            raw = ACC[side].get(k, 0) / n
            c = raw - CNT[side].get(k, 0) / n * d_in - KIDS[side].get(k, 0) / n * d_out
            v[side] = (raw / 1e3, c / 1e3)
            corr_sum[side] += c / 1e3
        cs, co = CNT["stock"].get(k, 0) / n, CNT["ours"].get(k, 0) / n
        rows[k] = [v["stock"][1], v["ours"][1], cs, co, v["stock"][0], v["ours"][0]]
        print(f"{k:<28}{v['stock'][1]:10.2f}{v['ours'][1]:10.2f}"
              f"{v['ours'][1] - v['stock'][1]:+11.2f}{v['ours'][0] - v['stock'][0]:+9.2f}"
              f"{cs:14.2f}{co:8.2f}")  # fmt: skip
    print(f"corrected label sums: stock {corr_sum['stock']:.1f} us, ours {corr_sum['ours']:.1f} us, "
          f"gap {corr_sum['ours'] - corr_sum['stock']:.1f} us per step")
    res["corrected_sum"] = corr_sum
    res["calibration_us"] = [d_in / 1e3, d_out / 1e3]
    res["labels"] = rows
    if a.json:
        Path(a.json).write_text(json.dumps(res, indent=1))


if __name__ == "__main__":
    main()
