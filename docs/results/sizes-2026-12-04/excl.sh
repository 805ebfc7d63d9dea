#!/bin/bash
# usage (from the worktree): /work/wt/exclusive timeout 600 docs/results/sizes-2026-12-04/excl.sh BASE_TREE NEW_TREE
# rebuildcost.py on the base tree and the new one, alternated, 2 rounds
B=$1; N=$2; S=$(cd $(dirname $0) && pwd)/rebuildcost.py
for round in 1 2; do
  for T in $B $N; do
    echo "## round $round tree $T $(date -u +%H:%M:%S) UTC"
    (cd $T && PYTHONPATH=$T /work/main/.venv/bin/python $S --windows 1000,10000 --classes 1,16 --reps 15 --calls 2000)
  done
done
echo "## done $(date -u +%H:%M:%S) UTC"
