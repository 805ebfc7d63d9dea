"""Engine steps of an `interleaved_replay.py --record-steps` run, per measured replay: how many
steps, of which composition, how much model work, and how long (wall-clock step periods,
vllm_nexus.sim.fit.read_log). Diagnostic, not product code.
usage: PYTHONPATH=<repo> python stepstats.py OUT [--json FILE]"""
import json
import statistics
import sys
from collections import defaultdict
from pathlib import Path

from vllm_nexus.sim.fit import read_log

out = Path(sys.argv[1])
rows = [json.loads(x) for x in (out / "rows.jsonl").read_text().splitlines() if x.strip()]
rows = [r for r in rows if r.get("rep") is not None]
rows.sort(key=lambda r: (r["rep"], r["sched"]))


def dclass(n):
    return "0d" if n == 0 else "1-2d" if n <= 2 else "3-5d" if n <= 5 else "6-7d" if n <= 7 else "8d"


def steps_of(r):
    """(step line, period) of every step scheduled inside the replay's window."""
    log = out / f"steps-{r['sched']}-c{r['cmd']}.jsonl"
    w = tuple(r["wall"])
    periods = read_log(log, "wall", w)[0]
    lines = []
    cur = None
    for line in log.read_text().splitlines():
        d = json.loads(line)
        if "step" in d:
            cur = d
        elif "end" in d and cur is not None:
            if w[0] <= cur["t"] <= w[1]:
                cur["fwd"] = d["end"] - cur["ts"] - d.get("uc", 0.0)
                cur["uc"] = d.get("uc", 0.0)
                lines.append(cur)
            cur = None
    assert len(lines) == len(periods), (len(lines), len(periods))
    for d, (c, p) in zip(lines, periods, strict=True):
        assert d["step"] == c
        d["p"] = p
    return lines


summary = {}
for r in rows:
    st = steps_of(r)
    n = len(st)
    pre = [d for d in st if d["step"][0]]
    s = {
        "mean_ms_tok": r["mean"],
        "steps": n,
        "busy_s": sum(d["p"] for d in st),
        "fwd_s": sum(d["fwd"] for d in st),
        "sched_cpu_s": sum(d["sc"] + d["uc"] for d in st),
        "decode_tokens": sum(d["step"][4] for d in st),
        "prefill_tokens": sum(d["step"][1] for d in st),
        "prefill_chunks": sum(d["step"][0] for d in st),
        "steps_with_prefill": len(pre),
        "mean_decodes": statistics.mean(d["step"][4] for d in st),
        "mean_running": statistics.mean(d["r"] for d in st),
        "new_reqs": sum(len(d["nh"]) for d in st),
        "prompt_tokens_new": sum(a for d in st for a, _ in d["nh"]),
        "hit_tokens_new": sum(b for d in st for _, b in d["nh"]),
        "resumed": sum(d["res"] for d in st),
        "steps_queued": sum(1 for d in st if d["w"] > 0),
        "steps_queued_not_full": sum(1 for d in st if d["w"] > 0 and d["r"] < 8),
        "mean_dec_ctx": sum(d["step"][5] for d in st) / max(1, sum(d["step"][4] for d in st)),
        "prefill_pairs": sum(d["step"][2] for d in st),
        "engine_tokens": r.get("engine_tokens"),
        "preemptions": r.get("preemptions"),
        "recomputed_tokens": r.get("recomputed_tokens"),
    }
    s["hit_rate_new"] = s["hit_tokens_new"] / max(1, s["prompt_tokens_new"])
    cls = defaultdict(list)
    for d in st:
        cls[("P+" if d["step"][0] else "") + dclass(d["step"][4])].append(d)
    s["classes"] = {k: {"n": len(v), "period_ms": 1e3 * statistics.mean(d["p"] for d in v),
                        "fwd_ms": 1e3 * statistics.mean(d["fwd"] for d in v),
                        "prefill_tok": statistics.mean(d["step"][1] for d in v),
                        "dec_ctx": sum(d["step"][5] for d in v) / max(1, sum(d["step"][4] for d in v))}
                    for k, v in cls.items()}
    summary[f"{r['sched']} rep{r['rep']}"] = s

keys = ["mean_ms_tok", "steps", "busy_s", "fwd_s", "sched_cpu_s", "decode_tokens", "prefill_tokens",
        "prefill_chunks", "steps_with_prefill", "mean_decodes", "mean_running", "new_reqs",
        "prompt_tokens_new", "hit_tokens_new", "hit_rate_new", "resumed", "steps_queued",
        "steps_queued_not_full", "mean_dec_ctx", "prefill_pairs", "preemptions", "recomputed_tokens"]
names = list(summary)
print("| | " + " | ".join(names) + " |")
print("|---" * (len(names) + 1) + "|")
for k in keys:
    cells = []
    for nme in names:
        v = summary[nme][k]
        cells.append("-" if v is None else f"{v:.3g}" if isinstance(v, float) and abs(v) < 100 else
                     f"{v:,.0f}" if isinstance(v, (int, float)) else str(v))
    print(f"| {k} | " + " | ".join(cells) + " |")
print("| engine_tokens (vLLM counters) | " + " | ".join(
    json.dumps({k: round(v) for k, v in (summary[x]['engine_tokens'] or {}).items()}) for x in names) + " |")
classes = sorted({k for v in summary.values() for k in v["classes"]},
                 key=lambda k: (k.startswith("P"), ["0d", "1-2d", "3-5d", "6-7d", "8d"].index(k.removeprefix("P+"))))
print("\nsteps / mean period ms / mean forward ms / mean prefill tokens, by class (P+: with a prefill chunk; Nd: decoding calls)\n")
print("| replay | " + " | ".join(classes) + " |")
print("|---" * (len(classes) + 1) + "|")
for nme, v in summary.items():
    c = v["classes"]
    print(f"| {nme} | " + " | ".join(
        f"{c[k]['n']} / {c[k]['period_ms']:.2f} / {c[k]['fwd_ms']:.2f} / {c[k]['prefill_tok']:.0f}" if k in c else "-"
        for k in classes) + " |")
print("\nbusy seconds by class (steps x mean period)\n")
print("| replay | " + " | ".join(classes) + " | total |")
print("|---" * (len(classes) + 2) + "|")
for nme, v in summary.items():
    c = v["classes"]
    print(f"| {nme} | " + " | ".join(f"{c[k]['n'] * c[k]['period_ms'] / 1e3:.2f}" if k in c else "-" for k in classes)
          + f" | {v['busy_s']:.2f} |")
if "--json" in sys.argv:
    Path(sys.argv[sys.argv.index("--json") + 1]).write_text(json.dumps(summary, indent=1))
