# ruff: noqa: E402, B007, B023  (a throw-away measurement script, kept as run)
"""Decision trace of ours on the sched_overhead stream, batch as a set (twenty-first pass: the 2026-12-02e trace.py with each step's batch sorted by request id, so a change of the order the batch is handed over in alone does not change the digest)."""

import argparse
import hashlib
import sys

sys.path.insert(0, "examples")
import sched_overhead as so

ap = argparse.ArgumentParser()
ap.add_argument("--running", type=int, default=64)
ap.add_argument("--waiting", type=int, default=256)
ap.add_argument("--steps", type=int, default=400)
ap.add_argument("--nexus", default="{}")
a = ap.parse_args()
import json

args = argparse.Namespace(
    running=a.running,
    waiting=a.waiting,
    programs=100000,
    policy="plas",
    prompt_len=64,
    max_tokens=256,
    max_num_batched_tokens=8192,
    nexus=json.loads(a.nexus),
)
model = so.model_dir()
d = so.Driver("ours", so.build("vllm_nexus.Scheduler", args, model), so.Stream(args, 0), a.waiting)
so.prefill_programs(d.sched, 100000, 0)
h = hashlib.sha256()
s = d.sched
for _i in range(a.steps):
    d.top_up()
    out = s.schedule()
    h.update(
        repr(
            (
                sorted(out.num_scheduled_tokens.items()),
                sorted(out.preempted_req_ids),
                [r.request_id for r in s.running],
            )
        ).encode()
    )
    s.update_from_output(out, so.fake_output(s, out))
    calls = s.mlq.calls
    h.update(
        repr(
            sorted(
                (c.call_id, c.level, c.service, c.level_service)
                for c in calls.values()
                if c.running
            )[:50]
        ).encode()
    )
m = s.nexus_metrics
print(
    a.running,
    a.waiting,
    h.hexdigest()[:16],
    "proactive",
    m.preemptions_proactive,
    "demotions",
    m.demotions,
    "service",
    m.service_total,
    "recomputed",
    m.recomputed_tokens,
)
