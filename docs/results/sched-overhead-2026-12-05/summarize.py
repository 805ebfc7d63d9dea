# ruff: noqa  (a throw-away measurement script, kept as run)
"""Per-part attribution tables from attrib*.json (corrected us per step, ours minus stock)."""
import json, sys
from pathlib import Path

D = Path(__file__).parent
PARTS = [
    ("_prepare_step: anti-starvation (promote_due, re-levelling, update_many)", lambda k: k in ("ours.prepare.promote_due", "ours.prepare.take_moved", "ours.prepare.relevel_all", "ours.prepare.update_many", "ours.prepare.starve")),
    ("_prepare_step: load average (observe_load)", lambda k: k == "ours.prepare.load"),
    ("_prepare_step: its own body (head/tail look-ups, the pick's set-up; the decode re-filing after a re-levelling)", lambda k: k == "ours.prepare.self"),
    ("_prepare_step: victim pick (pick_victims, estimator, _kv_victims)", lambda k: k == "ours.prepare.pick"),
    ("_prepare_step: _preempt_call + ours' _preempt_request hook + set_waiting", lambda k: k in ("ours.prepare.preempt_call", "ours.preempt_hook", "ours.set_waiting")),
    ("_record_step (+ set_running, step_counts)", lambda k: k.startswith("ours.record")),
    ("_charge (+ charge_all) + tenant charge", lambda k: k.startswith("ours.charge") or k == "ours.tenant_charge"),
    ("completions: ours' _free_request part (decode stop, mlq.finish, table, sizes, levels, tenants, lineage, metrics)", lambda k: k.startswith("ours.free")),
    ("running order (_insert/_remove_running), decode.due, demotions moved", lambda k: k in ("ours.running_order", "ours.decode_due", "ours.demote_move")),
    ("the two hook bodies (schedule, update_from_output)", lambda k: k in ("ours.sched.wrapper", "ours.update.wrapper")),
    ("waiting-queue methods vLLM calls (ours' heap vs stock's deque)", lambda k: k == "queue"),
    ("vLLM: schedule() running loop", lambda k: k == "vllm.sched.running"),
    ("vLLM: schedule() waiting loop", lambda k: k == "vllm.sched.waiting"),
    ("vLLM: schedule() head + tail (output, cached-request data, _update_after_schedule)", lambda k: k in ("vllm.sched.head", "vllm.sched.tail")),
    ("vLLM: update_from_output() per-request loop", lambda k: k == "vllm.update.loop"),
    ("vLLM: update_from_output() head + tail", lambda k: k in ("vllm.update.head", "vllm.update.tail")),
    ("vLLM: _free_request, _preempt_request", lambda k: k in ("vllm.free", "vllm.preempt")),
    ("collector (gen0, gen1)", lambda k: k.startswith("gc.")),
    ("outer (between the timer and the hooks)", lambda k: k == "outer"),
]


def parts(f):
    r = json.loads((D / f).read_text())
    L = r["labels"]
    out = []
    for name, pred in PARTS:
        out.append(sum(v[1] - v[0] for k, v in L.items() if pred(k)))
    gap = r["corrected_sum"]["ours"] - r["corrected_sum"]["stock"]
    inst = (r["ours"]["cpu_us"], r["stock"]["cpu_us"])
    un = (r["ours"]["unattributed_us"], r["stock"]["unattributed_us"])
    return out, gap, inst, un, r


cols = sys.argv[1:]
rows = [parts(f) for f in cols]
print("| part (us per step, ours - stock) | " + " | ".join(cols) + " |")
print("|---|" + "---|" * len(cols))
for i, (name, _) in enumerate(PARTS):
    print(f"| {name} | " + " | ".join(f"{r[0][i]:+.1f}" for r in rows) + " |")
print("| **labels' sum = the instrumented gap** | " + " | ".join(f"**{r[1]:+.1f}**" for r in rows) + " |")
print("| unattributed (switch cost), ours / stock | " + " | ".join(f"{r[3][0]:.1f} / {r[3][1]:.1f}" for r in rows) + " |")
print("| thread_time per step, ours / stock (ratio) | " + " | ".join(f"{r[2][0]:.0f} / {r[2][1]:.0f} ({r[2][0] / r[2][1]:.3f})" for r in rows) + " |")
print("| ours: preemptions / tokens per step (stock 88.4 / 700.8) | " + " | ".join(f"{r[4]['ours']['preemptions']} / {r[4]['ours']['tokens']:.1f}" for r in rows) + " |")
