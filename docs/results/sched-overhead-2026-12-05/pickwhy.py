# ruff: noqa: E402  (a throw-away diagnostic script, kept as run)
"""Why proactive victim picks find nothing (twenty-first pass, issue 16 item 5).

Ours alone (plas, defaults) on issue 16's benchmark stream (examples/sched_overhead.py: same
stream, 100k programs, 60 warm-up steps, then --steps steps), with the preemption rules
wrapped to record, per pick, how it ended: a victim found; "level": the first waiting call past
the free slots had no strictly worse running call; or every worse candidate was denied, by the
rule that denied it (level gap, cost rule, size gate, unproven). Also counts how many no-victim
picks had the same first waiting call and the same candidate list (ids and levels) as the
previous no-victim pick (the ceiling of a cache of "nothing to pick"). Decisions unchanged (the
wrappers only observe).

    PYTHONPATH=TREE python pickwhy.py --running 64 --waiting 256 --steps 400
"""

from __future__ import annotations

import argparse
import collections
import json
import sys
from pathlib import Path

ap = argparse.ArgumentParser()
ap.add_argument("--running", type=int, default=64)
ap.add_argument("--waiting", type=int, default=256)
ap.add_argument("--steps", type=int, default=400)
a = ap.parse_args()
sys.path.insert(0, str(Path.cwd() / "examples"))
import logging

import sched_overhead as so

from vllm_nexus.programs.queues import MultiLevelQueue

logging.getLogger("vllm").setLevel(logging.WARNING)
args = argparse.Namespace(
    running=a.running, waiting=a.waiting, programs=100000, policy="plas", prompt_len=64,
    max_tokens=256, max_num_batched_tokens=8192, nexus={}, seed=0,
)  # fmt: skip
ours = so.Driver(
    "ours", so.build("vllm_nexus.Scheduler", args, so.model_dir(), "fcfs"), so.Stream(args, 0),
    a.waiting,
)  # fmt: skip
so.prefill_programs(ours.sched, 100000, 0)
for _ in range(60):
    ours.step(timed=False)

C = collections.Counter()
cur: dict = {}
M = MultiLevelQueue
orig_pick, orig_worth, orig_cost, orig_size = M.pick_victims, M.worth_preempting, M._worth, M.size_allows
last_key = [None]


def pick(self, waiting, running, free_slots, est=None, svc=None):
    cur.clear()
    cur["denied"] = []
    cur["first_w"] = None
    waiting = list(waiting)
    res = orig_pick(self, waiting, running, free_slots, est, svc)
    C["picks"] += 1
    if res:
        C["picks with victims"] += 1
        C["victims"] += len(res)
        last_key[0] = None
        return res
    w = cur["first_w"]
    if not cur["denied"]:
        C["no victim: no worse running call than the first waiting call past the free slots"] += 1
    else:
        reasons = tuple(sorted(set(cur["denied"])))
        C["no victim: candidates denied by " + "+".join(reasons)] += 1
    key = (w and w.call_id, w and (w.tier, w.level), tuple((c.call_id, c.level) for c in running), free_slots)
    if key == last_key[0]:
        C["no victim, same first waiting call / candidates / free slots as the previous no-victim pick"] += 1
    last_key[0] = key
    return res


def worth(self, victim, head, cost, served=None):
    cur["first_w"] = cur["first_w"] or head
    cur["why"] = None
    if (victim.tier, victim.level) <= (head.tier, head.level):
        cur["why"] = "level"
    elif victim.tier == head.tier and victim.level - victim.weight_levels <= head.level - head.weight_levels:
        cur["why"] = "weighted level"
    ok = orig_worth(self, victim, head, cost, served)
    if not ok:
        cur["denied"].append(cur["why"] or "unproven")
    return ok


def worth_cost(self, victim, head, level, cost, head_level):
    ok = orig_cost(self, victim, head, level, cost, head_level)
    if not ok and cur.get("why") is None:
        cur["why"] = "gap" if level - head_level < self.cfg.preemption_min_level_gap else "cost"
        C["cost-rule denials: recompute = all computed tokens" if cost >= 0 else ""] += 0
    return ok


def size(self, victim, head):
    ok = orig_size(self, victim, head)
    if not ok and cur.get("why") is None:
        cur["why"] = "size gate"
    return ok


M.pick_victims, M.worth_preempting, M._worth, M.size_allows = pick, worth, worth_cost, size
s = ours.sched
steps_picking = 0
for _ in range(a.steps):
    before = C["picks"]
    ours.step(timed=True)
    steps_picking += C["picks"] > before
C["steps"] = a.steps
C["steps with a pick"] = steps_picking
C["proactive preemptions (metrics)"] = s.nexus_metrics.preemptions_proactive
C["tokens per step"] = round(ours.tokens / ours.steps, 2)
print(f"{a.running}/{a.waiting}, plas defaults, {a.steps} steps after 60 warm-up")
print(json.dumps({k: v for k, v in C.items() if k}, indent=1))
