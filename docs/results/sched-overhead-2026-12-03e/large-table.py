# ruff: noqa  (a throw-away measurement script, kept as run)
"""Markdown rows and per-tree summaries of large-excl.sh outputs (the tenth pass's table.py)."""
import re, sys, statistics
rows = []; cur = None
for path in sys.argv[1:]:
    for line in open(path):
        m = re.match(r"== round (\S+) tree (\S+) size (\S+) ?(.*?) load (\S+) \S+ \S+ (\S+)", line)
        if m:
            cur = dict(round=m[1], tree=m[2], size=m[3], extra=m[4].strip(), load=m[5], t=m[6]); rows.append(cur); continue
        if cur is None: continue
        m = re.match(r"\s+stock\s+([\d.]+) ms CPU per step\s+\((\d+) tokens", line)
        if m: cur["stock"], cur["stok"] = m[1], m[2]
        m = re.match(r"\s+(vllm_nexus|stock-2)\s+([\d.]+) ms CPU per step\s+\((\d+) tokens/step, (\d+) preemptions(?:, (\d+) proactive)?", line)
        if m: cur["ours"], cur["otok"], cur["pro"] = m[2], m[3], m[5] or "–"
        m = re.match(r"\s+ratio\s+([\d.]+)x of summed CPU time; per-step ratio median ([\d.]+) \(quartiles ([\d.]+)-([\d.]+)\)", line)
        if m: cur["sum"], cur["med"], cur["q1"], cur["q3"] = m[1], m[2], m[3], m[4]
for r in rows:
    if "med" not in r: continue
    r0, w0 = r["size"].split("/")
    steps = 400 if r0 == "64" else 300
    ex = (" " + r["extra"]) if r["extra"] else ""
    print(f"| `--running {r0} --waiting {w0} --steps {steps}{ex}` | {r['round']} | {r['tree']} | {r['t']} | {r['load']} | {r['stock']} | {r['ours']} | {r['otok']} / {r['stok']} | {r['pro']} | {r['sum']}x | {r['med']} ({r['q1']}–{r['q3']}) |")
print()
for size, extra in (("64/256", ""), ("512/4096", ""), ("64/256", "--policy fcfs")):
    for tree in ("before", "after"):
        sel = [r for r in rows if r["size"] == size and r["tree"] == tree and "med" in r and r["extra"] == extra]
        if not sel: continue
        meds = [float(r["med"]) for r in sel]; sums = [float(r["sum"]) for r in sel]
        print(f"{size} {extra} {tree}: n={len(sel)} median of medians {statistics.median(meds):.3f}, medians {' / '.join(r['med'] for r in sel)} (mean {statistics.mean(meds):.3f}); "
              f"sums {' / '.join(r['sum'] for r in sel)} (mean {statistics.mean(sums):.3f})")
