"""How much of a repetition's ratio comes from programs that had a call wait > 2 s under OTHER.

usage: diag_tail.py RUN_DIR [BASE=stock] [OTHER=default]
Per repetition: total TTFT seconds of each scheduler; the programs with a call whose TTFT
exceeded 2 s under OTHER (count, their share of BASE's and OTHER's summed ms/token); the ratio
as measured, and the ratio with those programs given BASE's latency in OTHER's replay (what the
repetition would read if those programs had not been held back: an accounting, not a run).
"""

import glob
import json
import sys
from pathlib import Path


def runs(run_dir: Path) -> dict:
    out = {}
    for d in glob.glob(str(run_dir / "raw" / "*")):
        name = Path(d).name
        if "-warm-" in name:
            continue
        sched, rest = name.split("-", 1)
        out[(sched, rest.rsplit("-c", 1)[0])] = json.load(open(Path(d) / "result.json"))["runs"][0]
    return out


def lat(run: dict) -> dict:
    r = {}
    for p in run["programs"]:
        e2e = max(c["end_s"] for c in p["calls"]) - p["arrival_s"]
        r[p["program_id"]] = 1000 * e2e / max(1, sum(c["output_tokens"] for c in p["calls"]))
    return r


def main() -> None:
    run_dir = Path(sys.argv[1])
    base = sys.argv[2] if len(sys.argv) > 2 else "stock"
    other = sys.argv[3] if len(sys.argv) > 3 else "default"
    data = runs(run_dir)
    for tag in sorted({t for _, t in data}):
        a, b = data[(base, tag)], data[(other, tag)]
        ttft = {
            s: sum(
                c["first_token_s"] - c["send_s"]
                for p in data[(s, tag)]["programs"]
                for c in p["calls"]
            )
            for s in (base, other)
        }
        held = {
            p["program_id"]
            for p in b["programs"]
            if any(c["first_token_s"] - c["send_s"] > 2 for c in p["calls"])
        }
        la, lb = lat(a), lat(b)
        n = len(la)
        ratio = (sum(la.values()) / n) / (sum(lb.values()) / n)
        lb2 = {i: (la[i] if i in held else v) for i, v in lb.items()}
        ratio2 = (sum(la.values()) / n) / (sum(lb2.values()) / n)
        print(
            f"{tag}: total TTFT s {base} {ttft[base]:.0f} {other} {ttft[other]:.0f} | {len(held)} programs held > 2 s under {other}: "
            f"mean ms/token {base} {sum(la[i] for i in held) / max(1, len(held)):.0f}, {other} {sum(lb[i] for i in held) / max(1, len(held)):.0f} | "
            f"ratio {ratio:.2f}; with those programs at {base}'s latency {ratio2:.2f}"
        )


if __name__ == "__main__":
    main()
