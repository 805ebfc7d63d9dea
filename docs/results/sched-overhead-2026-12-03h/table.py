# ruff: noqa  (a throw-away measurement script, kept as run)
"""Rows and per-tree summaries of excl.sh's output (three trees: main, new, t0), with the
per-round paired differences against main (points of the ratio of sums)."""
import re, sys, statistics
rows = []; cur = None
for line in open(sys.argv[1]):
    m = re.match(r"== round (\S+) tree (\S+) size (\S+) load (\S+) \S+ \S+ (\S+)", line)
    if m:
        cur = dict(round=m[1], tree=m[2], size=m[3], load=m[4], t=m[5]); rows.append(cur); continue
    if cur is None: continue
    m = re.match(r"\s+stock\s+([\d.]+) ms CPU per step\s+\((\d+) tokens", line)
    if m: cur["stock"], cur["stok"] = m[1], m[2]
    m = re.match(r"\s+vllm_nexus\s+([\d.]+) ms CPU per step\s+\((\d+) tokens/step, (\d+) preemptions(?:, (\d+) proactive)?", line)
    if m: cur["ours"], cur["otok"], cur["pro"] = m[1], m[2], m[4] or "–"
    m = re.match(r"\s+ratio\s+([\d.]+)x of summed CPU time; per-step ratio median ([\d.]+) \(quartiles ([\d.]+)-([\d.]+)\)", line)
    if m: cur["sum"], cur["med"], cur["q1"], cur["q3"] = m[1], m[2], m[3], m[4]
print("| size | round | tree | start (UTC) | load | stock ms/step | ours ms/step | tokens/step | proactive | ratio of sums | per-step median (quartiles) |")
print("|---|---|---|---|---|---|---|---|---|---|---|")
for r in rows:
    if "med" not in r: continue
    print(f"| {r['size']} | {r['round']} | {r['tree']} | {r['t']} | {r['load']} | {r['stock']} | {r['ours']} | {r['otok']} / {r['stok']} | {r['pro']} | {r['sum']}x | {r['med']} ({r['q1']}–{r['q3']}) |")
print()
for size in ("64/256", "512/4096"):
    by = {}
    for r in rows:
        if r["size"] == size and "med" in r: by.setdefault(r["tree"], {})[r["round"]] = r
    for tree in ("main", "new", "t0"):
        sel = list(by.get(tree, {}).values())
        if not sel: continue
        sums = [float(r["sum"]) for r in sel]; meds = [float(r["med"]) for r in sel]
        line = (f"{size} {tree}: n={len(sel)} sums {' / '.join(r['sum'] for r in sel)} (mean {statistics.mean(sums):.4f}); "
                f"medians {' / '.join(r['med'] for r in sel)} (mean {statistics.mean(meds):.4f})")
        if tree != "main":
            d = [100 * (float(by[tree][k]["sum"]) - float(by["main"][k]["sum"])) for k in by[tree] if k in by.get("main", {})]
            line += (f"; vs main per round {', '.join(f'{x:+.1f}' for x in d)} points (mean {statistics.mean(d):+.2f}, "
                     f"sd {statistics.stdev(d) if len(d) > 1 else 0:.2f}, above main in {sum(x > 0 for x in d)} of {len(d)})")
        print(line)
