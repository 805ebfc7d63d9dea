"""Offered work of the first N programs of a dumped trace (no server, no replay).

usage: trace_stats.py TRACE N            -> calls, prompt and output tokens per program
       trace_stats.py TRACE N REF RATE   -> also the pre-registered rate for TRACE: RATE x W(REF)/W(TRACE),
                                            W = mean (prompt + output tokens over a program's calls),
                                            kept at RATE when the factor is within [0.85, 1.15], clamped to
                                            [0.5, 2], rounded to 2 significant digits.
"""

import json
import sys


def stats(path: str, n: int) -> dict:
    progs = [json.loads(line) for line in open(path) if line.strip()][:n]
    calls = sum(len(p["calls"]) for p in progs)
    prompt = sum(c["prompt_tokens"] for p in progs for c in p["calls"])
    out = sum(c["output_tokens"] for p in progs for c in p["calls"])
    return {"programs": len(progs), "calls": calls, "calls/prog": calls / len(progs),
            "prompt/prog": prompt / len(progs), "output/prog": out / len(progs),
            "W": (prompt + out) / len(progs)}


def main() -> None:
    path, n = sys.argv[1], int(sys.argv[2])
    s = stats(path, n)
    print(path, " ".join(f"{k}={v:.1f}" if isinstance(v, float) else f"{k}={v}" for k, v in s.items()))
    if len(sys.argv) > 3:
        ref, rate = stats(sys.argv[3], n), float(sys.argv[4])
        f = ref["W"] / s["W"]
        g = 1.0 if 0.85 <= f <= 1.15 else min(2.0, max(0.5, f))
        r = float(f"{rate * g:.2g}")
        print(f"factor W(ref)/W = {f:.3f} -> applied {g:.3f} -> rate {r:g}/s (ref rate {rate:g}/s)")


if __name__ == "__main__":
    main()
