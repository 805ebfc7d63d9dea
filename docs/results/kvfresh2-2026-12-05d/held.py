"""Calls that waited > 2 s per measured replay (reads interleaved_replay.py raw results).

usage: held.py RUN_DIR [THRESHOLD_S=2]
Per replay (warm-ups skipped): calls whose TTFT (first token - send; this client sends a call
when it is ready, so TTFT = queue + prefill) exceeded the threshold, in all and split into the
programs' first calls and their later calls (a later call belongs to a program in flight), the
programs with such a call, and the mean TTFT of first and later calls.
"""

import glob
import json
import sys
from pathlib import Path


def main() -> None:
    run_dir = Path(sys.argv[1])
    thr = float(sys.argv[2]) if len(sys.argv) > 2 else 2.0
    rows = []
    for d in glob.glob(str(run_dir / "raw" / "*")):
        name = Path(d).name
        if "-warm-" in name:
            continue
        sched, rest = name.split("-", 1)
        tag = rest.rsplit("-c", 1)[0]
        run = json.load(open(Path(d) / "result.json"))["runs"][0]
        first, later, progs = [], [], set()
        for p in run["programs"]:
            calls = sorted(p["calls"], key=lambda c: c["send_s"])
            for k, c in enumerate(calls):
                w = c["first_token_s"] - c["send_s"]
                (first if k == 0 else later).append(w)
                if w > thr:
                    progs.add(p["program_id"])
        rows.append((tag, sched, first, later, progs))
    print(
        f"| replay | scheduler | calls | waited > {thr:g} s | of them first calls | later calls | programs held | TTFT mean first / later s |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for tag, sched, first, later, progs in sorted(
        rows, key=lambda r: (r[0], r[1] != "stock", r[1])
    ):
        nf, nl = sum(w > thr for w in first), sum(w > thr for w in later)
        mf = sum(first) / max(1, len(first))
        ml = sum(later) / max(1, len(later))
        print(
            f"| {tag} | {sched} | {len(first) + len(later)} | {nf + nl} | {nf} | {nl} | {len(progs)} | {mf:.2f} / {ml:.2f} |"
        )


if __name__ == "__main__":
    main()
