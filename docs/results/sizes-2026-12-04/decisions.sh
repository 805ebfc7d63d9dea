#!/bin/bash
# usage (from the worktree): docs/results/sizes-2026-12-04/decisions.sh BASE_TREE NEW_TREE
# (decisions-3.txt on: gittins_trace.py hashes the tables by key; decisions.txt / decisions-2.txt
# hashed them in dict order, which follows per-process string hashes: hashseed.txt)
# the gittins/default decision trace (gittins_trace.py) on both trees, then issue 16's digests
# (docs/results/sched-overhead-2026-12-03d/trace.sh) on the new one
B=$1; N=$2; S=$(cd $(dirname $0) && pwd)/gittins_trace.py
for T in $B $N $N; do
  echo "## tree $T ($(git -C $N log -1 --format=%h) for the new tree) $(date -u +%H:%M:%S) UTC"
  (cd $T && PYTHONPATH=$T /work/main/.venv/bin/python $S 2>&1 | grep -v "Inductor\|Triton\|Model Runner")
done
echo "## trace.sh $N $(date -u +%H:%M:%S) UTC"
bash $N/docs/results/sched-overhead-2026-12-03d/trace.sh $N
echo "## done $(date -u +%H:%M:%S) UTC"
