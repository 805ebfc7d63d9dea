# ruff: noqa  (a throw-away measurement script, kept as run)
"""Table of excl.sh's output: python table.py excl.txt"""
import re, statistics, sys
rows, cur = [], None
for line in open(sys.argv[1]):
    m = re.match(r"== round (\S+) tree (\S+) size (\S+) load (\S+) \S+ \S+ (\S+) ?(.*)", line)
    if m:
        cur = dict(round=m[1], tree=m[2], size=m[3], load=m[4], t=m[5], extra=m[6].strip()); rows.append(cur); continue
    m = re.match(r"  (stock|vllm_nexus|stock-2) +([\d.]+) ms CPU per step  \((\d+) tokens/step, (\d+) preemptions", line)
    if m and cur is not None:
        cur["stock" if m[1] == "stock" else "ours"] = float(m[2]); cur["tok_" + m[1]] = m[3]; cur["pre"] = m[4]
    m = re.match(r"  ratio +([\d.]+)x of summed CPU time; per-step ratio median ([\d.]+) \(quartiles ([\d.]+)-([\d.]+)\)", line)
    if m and cur is not None:
        cur.update(sum=float(m[1]), med=m[2], q=f"{m[3]}–{m[4]}")
print("| size | round | tree | start (UTC) | load | stock ms/step | ours ms/step | ours preemptions | ratio of sums | per-step median (quartiles) |")
print("|---|---|---|---|---|---|---|---|---|---|")
for r in rows:
    if "sum" in r:
        print(f"| {r['size']} | {r['round']} | {r['tree']}{(' ' + r['extra']) if r['extra'] else ''} | {r['t']} | {r['load']} | {r['stock']:.3f} | {r['ours']:.3f} | {r['pre']} | {r['sum']:.3f}x | {r['med']} ({r['q']}) |")
print()
for size in ("64/256", "512/4096"):
    for tree in ("main", "new"):
        s = [r["sum"] for r in rows if r["size"] == size and r["tree"] == tree and r["round"].isdigit() and "sum" in r]
        if s:
            print(f"{size} {tree}: n={len(s)} ratio of sums {' / '.join(f'{x:.3f}' for x in s)}; mean {statistics.mean(s):.4f}, worst {max(s):.3f}")
alone = {}
for line in open(sys.argv[1]):
    m = re.match(r"alone (?:tree (\S+) )?side (\S+) \S+: ([\d.]+) ms CPU per step", line)
    if m:
        alone.setdefault(m[1] or "main", {"stock": [], "ours": []})[m[2]].append(float(m[3]))
for tree, a in alone.items():
    print(f"alone, tree {tree} (each side in its own process): stock {' / '.join(map(str, a['stock']))} ms/step (mean {statistics.mean(a['stock']):.4f}); "
          f"ours {' / '.join(map(str, a['ours']))} (mean {statistics.mean(a['ours']):.4f}); ratio of means {statistics.mean(a['ours']) / statistics.mean(a['stock']):.4f}; "
          f"per pair {' / '.join(f'{o / s:.3f}' for s, o in zip(a['stock'], a['ours']))}")
