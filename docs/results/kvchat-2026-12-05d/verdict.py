"""The load-finding rule on one stock replay (reads interleaved_replay.py's rows.jsonl).

usage: verdict.py RUN_DIR -> "queued Q kv-bound K ms/token M -> BINDS|no", or "none" if the run
dir has no measured stock row. BINDS: stock queued in >= 40% of the 1 s samples and >= 90% of
those samples were KV-bound (kvchat-2026-12-05d's pre-registered rule).
"""

import json
import sys
from pathlib import Path


def main() -> None:
    path = Path(sys.argv[1]) / "rows.jsonl"
    rows = []
    if path.exists():
        rows = [r for r in map(json.loads, open(path)) if r.get("rep") == 0 and r["sched"] == "stock"]
    if not rows:
        print("none")
        return
    r = rows[-1]
    q, k = r.get("queued_share") or 0.0, r.get("kv_bound_share") or 0.0
    binds = q >= 0.40 and k >= 0.90
    print(f"queued {q:.3f} kv-bound {k:.3f} ms/token {r['mean']:.2f} -> {'BINDS' if binds else 'no'}")


if __name__ == "__main__":
    main()
