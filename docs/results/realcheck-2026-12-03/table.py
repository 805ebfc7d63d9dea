"""Markdown rows of docs/benchmarks.md "2026-12-03: the merged defaults on the real engine"
from interleaved_replay.py's rows.json: python table.py DIR...  (one row per non-stock
scheduler per DIR; ratios = stock / scheduler in the same repetition, > 1: faster;
the last two columns: replay duration ratio stock / scheduler and failed programs, both)."""

import json
import math
import statistics
import sys
from pathlib import Path


def geo(xs):
    return math.exp(statistics.mean(math.log(x) for x in xs))


def ms(rows):
    return ", ".join(f"{r['mean']:.1f}" for r in rows)


def main(dirs):
    for d in dirs:
        rows = [r for r in json.loads((Path(d) / "rows.json").read_text()) if r["rep"] is not None]
        by = {(r["sched"], r["rep"]): r for r in rows}
        reps = sorted(
            {r["rep"] for r in rows if all((s, r["rep"]) in by for s in {x["sched"] for x in rows})}
        )
        scheds = list(dict.fromkeys(r["sched"] for r in rows if r["sched"] != "stock"))
        st = [by["stock", k] for k in reps]
        spre = ", ".join(f"{r['preemptions']:.0f}" for r in st)
        for s in scheds:
            me = [by[s, k] for k in reps]
            rat = [a["mean"] / b["mean"] for a, b in zip(st, me, strict=True)]
            e2e = [a["e2e_mean_s"] / b["e2e_mean_s"] for a, b in zip(st, me, strict=True)]
            dur = [a["duration_s"] / b["duration_s"] for a, b in zip(st, me, strict=True)]
            failed = sum((r.get("failed_programs") or 0) for r in st + me)
            rec = ", ".join(f"{100 * r['recompute_share']:.1f}%" for r in me)
            pre = ", ".join(
                f"{r['nexus_preemptions'].get('proactive', 0):.0f}/{r['nexus_preemptions'].get('kv_cache', 0):.0f}"
                for r in me
            )
            print(
                f"| {Path(d).name} | {s} | {len(reps)} | "
                f"{ms(st)} | {ms(me)} | "
                f"{', '.join(f'{x:.2f}' for x in rat)} | **{geo(rat):.2f}x** | "
                f"{', '.join(f'{x:.2f}' for x in e2e)} ({geo(e2e):.2f}x) | {rec} | {spre} | {pre} | "
                f"{', '.join(f'{x:.2f}' for x in dur)} | {failed} |"
            )


if __name__ == "__main__":
    main(sys.argv[1:])
