"""Per-call waits by a call's position in its program (reads interleaved_replay.py raw results).

usage: diag_calls.py RUN_DIR [PROGRAM_ID ...]
Per measured replay: TTFT (first token - send; on this client a call is sent when ready, so this
is queue + prefill) by the call's index in its program (1st, 2nd, 3rd, 4th+), mean and p95 and
the count over 2 s; the programs' arrival-to-end span; then, for the named programs, each call.
"""

import glob
import json
import statistics
import sys
from pathlib import Path


def pct(xs, q):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(q * len(xs)))] if xs else float("nan")


def main() -> None:
    run_dir = Path(sys.argv[1])
    named = sys.argv[2:]
    for d in sorted(glob.glob(str(run_dir / "raw" / "*"))):
        name = Path(d).name
        if "-warm-" in name:
            continue
        run = json.load(open(Path(d) / "result.json"))["runs"][0]
        by_idx: dict[int, list[float]] = {}
        last_arrival = max(p["arrival_s"] for p in run["programs"])
        for p in run["programs"]:
            calls = sorted(p["calls"], key=lambda c: c["send_s"])
            for k, c in enumerate(calls):
                by_idx.setdefault(min(k, 3), []).append(c["first_token_s"] - c["send_s"])
        end = max(c["end_s"] for p in run["programs"] for c in p["calls"])
        print(f"{name}: last arrival {last_arrival:.1f} s, last call end {end:.1f} s")
        for k in sorted(by_idx):
            xs = by_idx[k]
            print(
                f"  call {k + 1}{'+' if k == 3 else ''}: n {len(xs)}, TTFT mean {statistics.mean(xs):.3f} s, "
                f"p95 {pct(xs, 0.95):.3f}, max {max(xs):.2f}, over 2 s: {sum(x > 2 for x in xs)}"
            )
        for p in run["programs"]:
            if p["program_id"] in named:
                print(f"  {p['program_id']} arrival {p['arrival_s']:.2f}:")
                for c in sorted(p["calls"], key=lambda c: c["send_s"]):
                    print(
                        f"    {c['call_id']} prompt {c['prompt_tokens']} out {c['output_tokens']} ready {c['ready_s']:.2f} "
                        f"send {c['send_s']:.2f} first {c['first_token_s']:.2f} end {c['end_s']:.2f}"
                    )


if __name__ == "__main__":
    main()
