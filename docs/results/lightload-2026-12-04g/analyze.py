"""Tables of procsplit_replay.py's OUT/procsplit.jsonl (one row per replay): where the machine's
CPU went during each replay, by owner (the replaying server's processes and threads, the idle
servers, the client, kernel threads, other), plus disk I/O, interrupts and engine-core GC.
usage: python analyze.py OUT [--threads]"""
import json
import sys
from collections import defaultdict
from pathlib import Path

out = Path(sys.argv[1])
rows = [json.loads(x) for x in (out / "procsplit.jsonl").read_text().splitlines() if x.strip()]
reps = {}
for x in (out / "rows.jsonl").read_text().splitlines():
    r = json.loads(x)
    reps[tuple(round(t) for t in r["wall"])] = r
FIELDS = ("user", "nice", "system", "idle", "iowait", "irq", "softirq", "steal")


def role_of(key):
    owner, role, thread = key.split("|")
    if owner.startswith("idle:"):
        return "idle servers", thread
    if owner in ("kernel", "other", "driver"):
        return owner, thread
    return f"server {role}", thread


print("| replay | s | mean ms/tok | machine busy s (user/sys/irq+soft) | server api | server "
      "engine core | server other procs | idle servers | client | kernel threads | other | "
      "vda writes / discards | block IRQs | engine-core GC (gen0/1/2 n, ms) |")
print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
by_thread = []
for r in rows:
    dur = r["wall"][1] - r["wall"][0]
    rr = next((v for k, v in reps.items() if abs(k[0] - r["wall"][0]) < 3), {})
    tag = rr.get("tag", r["dest"])
    if "warm" in tag:
        continue
    c = dict(zip(FIELDS, r["machine"]["cpu_s"], strict=True))
    busy = sum(v for k, v in c.items() if k not in ("idle", "iowait"))
    agg = defaultdict(float)
    threads = defaultdict(lambda: [0.0, 0.0, 0, 0])
    for k, g in r["groups"].items():
        owner, role, thread = k.split("|")
        if owner.startswith("idle:"):
            grp = "idle"
        elif owner in ("kernel", "other", "driver"):
            grp = owner
        elif role == "api":
            grp = "api"
        elif "EngineCor" in role:
            grp = "core"
        else:
            grp = "srvother"
        agg[grp] += g["cpu_s"]
        t = threads[(grp if grp not in ("kernel", "other", "idle") else grp, role, thread)]
        t[0] += g["cpu_s"]
        t[1] += g["wait_s"]
        t[2] += g["vol"]
        t[3] += g["invol"]
    d = r["machine"]["disk"]
    writes, discards = (d[4], d[11]) if len(d) > 11 else (d[4], None)
    blk = sum(v for k, v in r["machine"]["irqs"].items() if "virtio" in k and "req" in k)
    gc = [g for k, g in r["gc"].items() if "EngineCor" in k and not k.startswith("idle")]
    gcs = "; ".join(f"{g['n']} {sum(g['ms']):.0f}" for g in gc)
    print(f"| {r['sched']} {tag} | {dur:.0f} | {rr.get('mean', 0):.2f} | {busy:.1f} "
          f"({c['user']:.1f}/{c['system']:.1f}/{c['irq'] + c['softirq']:.2f}) | "
          f"{agg['api']:.2f} | {agg['core']:.2f} | {agg['srvother']:.2f} | {agg['idle']:.2f} | "
          f"{r['client']['cpu_s']:.2f} | {agg['kernel']:.2f} | {agg['other'] + agg['driver']:.2f}"
          f" | {writes} / {discards} | {blk} | {gcs} |")
    by_thread.append((r["sched"], tag, threads))
if "--threads" in sys.argv:
    for s, tag, threads in by_thread:
        print(f"\n{s} {tag}: threads with >= 0.05 s CPU or >= 0.05 s run-queue wait "
              "(CPU s, run-queue wait s, voluntary, involuntary switches)")
        for k, (cpu, wait, vol, inv) in sorted(threads.items(), key=lambda kv: -kv[1][0]):
            if cpu >= 0.05 or wait >= 0.05:
                print(f"  {'/'.join(k):60s} {cpu:7.2f} {wait:7.2f} {vol:8d} {inv:7d}")
