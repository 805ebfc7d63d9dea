#!/bin/bash
# count.sh TREE OUTDIR TAG: count.py (counts + per-iteration loop timer) at both sizes, plas and fcfs.
T=$1; O=$2; G=$3; cd $T
C=/work/wt/ovh23/docs/results/sched-overhead-2026-12-05b/count.py
for spec in "512 4096 plas" "512 4096 fcfs" "64 256 plas" "64 256 fcfs" "512 4096 plas"; do
  set -- $spec
  echo "== $(date -u +%H:%M:%S) $1/$2 policy $3 load $(cut -d' ' -f1-3 /proc/loadavg)"
  PYTHONPATH=$T timeout 400 /work/main/.venv/bin/python $C --running $1 --waiting $2 --policy $3 --loop-timer --json $O/count-$G-$1-$3-$(date -u +%H%M%S).json 2>&1 | grep -v -E "Triton|CPU backend|SSM cache|Model Runner|custom scheduler"
done
echo "== end $(date -u +%H:%M:%S)"
