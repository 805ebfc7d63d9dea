"""Call context (prompt + output) and output tokens of the first 300 programs of chat traces (reads files)."""

import json
import sys

for path in sys.argv[1:]:
    progs = [json.loads(line) for line in open(path) if line.strip()][:300]
    ctx = sorted(c["prompt_tokens"] + c["output_tokens"] for p in progs for c in p["calls"])
    outs = sorted(c["output_tokens"] for p in progs for c in p["calls"])
    n = len(ctx)
    big = sum(x > 1000 for x in ctx)
    print(
        path,
        f"calls {n} ctx p50 {ctx[n // 2]} p90 {ctx[int(0.9 * n)]} p99 {ctx[int(0.99 * n)]} max {ctx[-1]} "
        f"| calls >1000 ctx tokens {big} | output p90 {outs[int(0.9 * n)]} max {outs[-1]} sum {sum(outs)} "
        f"| ctx sum {sum(ctx)}",
    )
