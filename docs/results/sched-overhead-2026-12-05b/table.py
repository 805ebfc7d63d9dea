# ruff: noqa  (a throw-away measurement script, kept as run)
"""Per-round ratios of excl*.txt: tree, size -> list of (round, ratio, stock ms, ours ms)."""
import re, statistics, sys
from collections import defaultdict
from pathlib import Path

D = Path(__file__).parent
for f in sys.argv[1:]:
    got = defaultdict(list)
    cur = None
    stock = ours = None
    for line in (D / f).read_text().splitlines():
        m = re.match(r"== round (\S+) (?:tree|variant) (\S+) size (\S+) .*?(--policy fcfs|--control --control-policy priority)?$", line)
        if m:
            cur = (m.group(2) + ({"--policy fcfs": " fcfs"}.get(m.group(4), " prio-ctl" if m.group(4) else "")), m.group(3))
            continue
        m = re.match(r"  stock\s+([\d.]+) ms", line)
        if m:
            stock = float(m.group(1))
        m = re.match(r"  (?:vllm_nexus|stock-2)\s+([\d.]+) ms", line)
        if m:
            ours = float(m.group(1))
        m = re.match(r"  ratio\s+([\d.]+)x", line)
        if m and cur:
            got[cur].append((float(m.group(1)), stock))
    print(f)
    for (tree, size), rs in sorted(got.items(), key=lambda kv: (kv[0][1], kv[0][0])):
        r = [x for x, _ in rs]
        st = [s for _, s in rs]
        print(f"  {size:9} {tree:10} " + ", ".join(f"{x:.3f}" for x in r)
              + f"  mean {statistics.mean(r):.4f} worst {max(r):.3f}; stock {min(st):.3f}-{max(st):.3f} ms")
