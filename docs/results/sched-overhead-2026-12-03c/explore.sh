#!/bin/bash
# Exploratory (shared lock), both trees: the re-levelling steps' cost split (reltime.py), the
# 512/4096 tail by step class (tail.py, ABBA against stock as the benchmark) and the lineage
# flush micro-benchmark (lineage_flush.py). Run from the repository root:
#   BEFORE=/tmp/ovh9/base AFTER=/tmp/ovh9/branch /work/wt/shared timeout 900 bash docs/results/sched-overhead-2026-12-03c/explore.sh
D=$PWD/docs/results/sched-overhead-2026-12-03c
for t in BEFORE AFTER; do
  T=${!t}
  echo "== $t $(cat $T/COMMIT) $(date -u +%H:%M:%S) load $(cut -d' ' -f1-3 /proc/loadavg)"
  cd $T
  echo "-- lineage_flush.py"; PYTHONPATH=$T /work/main/.venv/bin/python $D/lineage_flush.py 2>&1 | tail -2
  echo "-- reltime.py (ours alone, 512/4096, 260 steps: the steps that re-levelled)"
  PYTHONPATH=$T /work/main/.venv/bin/python $D/reltime.py 2>&1 | grep "^step"
  echo "-- tail.py (512/4096, 300 steps ABBA)"
  PYTHONPATH=$T /work/main/.venv/bin/python $D/tail.py 2>&1 | grep -v -i "triton\|block_size\|SSM\|custom scheduler"
  cd - >/dev/null
done
echo "== end $(date -u +%H:%M:%S)"
