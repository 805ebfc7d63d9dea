#!/bin/bash
# usage: prof.sh TREE LABEL: cProfile call counts of irprobe at 512/4096 (100 steps)
T=$1; L=$2
cd $T
PYTHONHASHSEED=0 TREE=$T PYTHONPATH=$T timeout 500 /work/main/.venv/bin/python -m cProfile -o /tmp/wb/$L.prof /work/main/docs/results/sched-overhead-2026-12-04/irprobe.py --side ours --steps 100 --warmup 30 --running 512 --waiting 4096 2>&1 | grep -E "^side"
/work/main/.venv/bin/python -c "
import pstats; p=pstats.Stats('/tmp/wb/$L.prof'); 
rows=[(v[1],k) for k,v in p.stats.items() if 'vllm_nexus' in k[0]]
rows.sort(reverse=True)
for n,k in rows[:45]: print(n, k[0].split('vllm_nexus/')[-1], k[1], k[2])
" > /tmp/wb/$L.calls
