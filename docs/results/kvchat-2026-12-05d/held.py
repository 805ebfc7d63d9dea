"""Calls that waited > 2 s per measured replay (reads interleaved_replay.py raw results).

usage: held.py RUN_DIR [THRESHOLD_S=2]
Per replay (warm-ups skipped): calls whose TTFT (first token - send; this client sends a call
when it is ready, so TTFT = queue + prefill) exceeded the threshold, in all and split into the
programs' first calls and their later calls (a later call belongs to a program in flight); the
later ones split again into fan-out calls (a stage of >= 2 calls with the same `after` set) and
sequential ones (alone in their stage), and counted as "overtaken" when a program that arrived
after the call was sent got its first call's first token before this call's first token (held
behind newer programs); the programs with a held call; the mean TTFT of first and later calls.
"""

import bisect
import glob
import json
import sys
from pathlib import Path


def replay_stats(run: dict, thr: float) -> dict:
    firsts = []  # (arrival_s, first call's first token) per program
    first_w, later = [], []  # later: (wait, fan-out?, send_s, first_token_s)
    progs = set()
    for p in run["programs"]:
        calls = sorted(p["calls"], key=lambda c: c["send_s"])
        stage = {}
        for c in calls:
            key = tuple(sorted(c.get("after") or []))
            stage[key] = stage.get(key, 0) + 1
        for k, c in enumerate(calls):
            w = c["first_token_s"] - c["send_s"]
            if w > thr:
                progs.add(p["program_id"])
            if k == 0:
                first_w.append(w)
                firsts.append((p["arrival_s"], c["first_token_s"]))
            else:
                fan = stage[tuple(sorted(c.get("after") or []))] >= 2
                later.append((w, fan, c["send_s"], c["first_token_s"]))
    firsts.sort()
    arrivals = [a for a, _ in firsts]
    held = [x for x in later if x[0] > thr]
    overtaken = 0
    for _, _, send, first in held:
        i = bisect.bisect_right(arrivals, send)
        overtaken += any(ft < first for _, ft in firsts[i:])
    return {
        "calls": len(first_w) + len(later),
        "first": sum(w > thr for w in first_w),
        "later": len(held),
        "fan": sum(x[1] for x in held),
        "seq": sum(not x[1] for x in held),
        "overtaken": overtaken,
        "programs": len(progs),
        "mf": sum(first_w) / max(1, len(first_w)),
        "ml": sum(x[0] for x in later) / max(1, len(later)),
    }


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
        rows.append((tag, sched, replay_stats(run, thr)))
    print(
        f"| replay | scheduler | calls | waited > {thr:g} s | first calls | later calls "
        "| of later: fan-out / sequential | later, overtaken by a newer program | programs held "
        "| TTFT mean first / later s |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    for tag, sched, s in sorted(rows, key=lambda r: (r[0], r[1] != "stock", r[1])):
        print(
            f"| {tag} | {sched} | {s['calls']} | {s['first'] + s['later']} | {s['first']} | {s['later']} "
            f"| {s['fan']} / {s['seq']} | {s['overtaken']} | {s['programs']} | {s['mf']:.2f} / {s['ml']:.2f} |"
        )


if __name__ == "__main__":
    main()
