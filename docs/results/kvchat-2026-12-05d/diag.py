"""Per-replay diagnostics from interleaved_replay.py's raw results (no server, reads files only).

usage: diag.py RUN_DIR [BASE=stock] [OTHER=default]
Per measured replay: engine steps, server CPU s per step, prefill tokens computed, prefix-cache
hit rate, mean queue s, TTFT / TBT means. Per repetition: OTHER's program token latency against
BASE's for the same programs, split by program size (output tokens; quartiles of BASE's
programs), and the programs that moved most.
"""

import glob
import json
import math
import statistics
import sys
from pathlib import Path


def load(run_dir: Path) -> dict:
    rows = {(r["sched"], r["tag"]): r for r in map(json.loads, open(run_dir / "rows.jsonl"))}
    out = {}
    for d in sorted(glob.glob(str(run_dir / "raw" / "*"))):
        name = Path(d).name
        sched, rest = name.split("-", 1)
        tag = rest.rsplit("-c", 1)[0]
        if tag == "warm":
            continue
        run = json.load(open(Path(d) / "result.json"))["runs"][0]
        out[(sched, tag)] = (run, rows.get((sched, tag), {}))
    return out


def prog_latency(run: dict) -> dict:
    res = {}
    for p in run["programs"]:
        e2e = max(c["end_s"] for c in p["calls"]) - p["arrival_s"]
        tok = sum(c["output_tokens"] for c in p["calls"])
        res[p["program_id"]] = (1000 * e2e / max(1, tok), tok, e2e, len(p["calls"]))
    return res


def main() -> None:
    run_dir = Path(sys.argv[1])
    base = sys.argv[2] if len(sys.argv) > 2 else "stock"
    other = sys.argv[3] if len(sys.argv) > 3 else "default"
    data = load(run_dir)
    print(
        "| replay | ms/token | engine steps | CPU s/step (ms) | prefill computed | prefix hit | mean queue s | TTFT mean s | TBT mean ms | preempt (proactive/KV) | recompute | declined (size) | demotions |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for (s, tag), (run, row) in sorted(data.items(), key=lambda kv: (kv[0][1], kv[0][0])):
        srv, sm = run.get("server") or {}, run["summary"]
        np_ = row.get("nexus_preemptions") or {}
        pol = row.get("policy") or {}
        rc = row.get("recompute_share")
        print(
            f"| {s} {tag} | {row.get('mean', float('nan')):.1f} | {srv.get('engine_steps', 0):.0f} | "
            f"{1000 * row.get('cpu_s', 0) / max(1, srv.get('engine_steps', 1)):.2f} | "
            f"{srv.get('prefill_tokens_computed', 0):,.0f} | {srv.get('prefix_cache_hit_rate', 0):.3f} | "
            f"{srv.get('mean_queue_s', 0):.3f} | {sm['ttft_s']['mean']:.3f} | {1000 * sm['tbt_s']['mean']:.1f} | "
            f"{srv.get('preemptions', 0):.0f} ({np_.get('proactive', '-')}/{np_.get('kv_cache', '-')}) | "
            f"{'-' if rc is None else f'{100 * rc:.1f}%'} | {pol.get('preemptions_size_declined', '-')} | {pol.get('demotions', '-')} |"
        )
    tags = sorted({t for (_, t) in data})
    for tag in tags:
        if (base, tag) not in data or (other, tag) not in data:
            continue
        a, b = prog_latency(data[(base, tag)][0]), prog_latency(data[(other, tag)][0])
        ids = sorted(a, key=lambda i: a[i][1])
        q = [ids[k * len(ids) // 4 : (k + 1) * len(ids) // 4] for k in range(4)]
        print(
            f"\n{tag}: {base}/{other} program token latency, by {base}'s program output-token quartile"
        )
        for k, grp in enumerate(q):
            r = [a[i][0] / b[i][0] for i in grp if i in b]
            toks = [a[i][1] for i in grp]
            print(
                f"  Q{k + 1} ({min(toks)}-{max(toks)} tokens, {len(grp)} programs): mean {base} "
                f"{statistics.mean(a[i][0] for i in grp):.1f} {other} {statistics.mean(b[i][0] for i in grp if i in b):.1f} ms/token, "
                f"geo-mean ratio {math.exp(statistics.mean(math.log(x) for x in r)):.2f}"
            )
        worst = sorted((a[i][0] / b[i][0], i) for i in a if i in b)[:5]
        print(
            "  most slowed by "
            + other
            + ": "
            + ", ".join(
                f"{i} {x:.2f} ({a[i][1]} tok, {a[i][3]} calls, e2e {a[i][2]:.1f}->{b[i][2]:.1f} s)"
                for x, i in worst
            )
        )


if __name__ == "__main__":
    main()
