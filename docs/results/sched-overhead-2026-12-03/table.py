# ruff: noqa  (a throw-away measurement script, kept as run)
import re, sys
rows = []; cur = None
for line in open(sys.argv[1]):
    m = re.match(r"== round (\d) tree (\S+) size (\S+) load (\S+) \S+ \S+ (\S+)", line)
    if m:
        cur = dict(round=m[1], tree=m[2], size=m[3], load=m[4], t=m[5]); rows.append(cur); continue
    if cur is None: continue
    m = re.match(r"\s+stock\s+([\d.]+) ms CPU per step\s+\((\d+) tokens", line)
    if m: cur["stock"], cur["stok"] = m[1], m[2]
    m = re.match(r"\s+vllm_nexus\s+([\d.]+) ms CPU per step\s+\((\d+) tokens/step, (\d+) preemptions, (\d+) proactive", line)
    if m: cur["ours"], cur["otok"], cur["pro"] = m[1], m[2], m[4]
    m = re.match(r"\s+ratio\s+([\d.]+)x of summed CPU time; per-step ratio median ([\d.]+) \(quartiles ([\d.]+)-([\d.]+)\)", line)
    if m: cur["sum"], cur["med"], cur["q1"], cur["q3"] = m[1], m[2], m[3], m[4]
for size, steps in (("64/256", 400), ("512/4096", 300)):
    r0, w0 = size.split("/")
    for r in rows:
        if r["size"] != size or "med" not in r: continue
        print(f"| `--running {r0} --waiting {w0} --steps {steps}` | {r['round']} | {r['tree']} | {r['load']} | {r['stock']} | {r['ours']} | {r['otok']} / {r['stok']} | {r['pro']} | {r['sum']}x | {r['med']} ({r['q1']}–{r['q3']}) |")
import statistics
print()
for size in ("64/256", "512/4096"):
    for tree in ("before", "after-better", "after"):
        meds = [r["med"] for r in rows if r["size"] == size and r["tree"] == tree and "med" in r]
        sums = [r["sum"] for r in rows if r["size"] == size and r["tree"] == tree and "sum" in r]
        print(size, tree, "medians", " / ".join(meds), "sums", " / ".join(sums))
