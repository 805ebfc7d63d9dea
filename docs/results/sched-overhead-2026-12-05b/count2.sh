#!/bin/bash
# count2.sh TREE OUTDIR TAG: count.py with the address metrics, plain vs --scatter-alloc.
T=$1; O=$2; G=$3; cd $T
C=/work/wt/ovh23/docs/results/sched-overhead-2026-12-05b/count.py
for spec in "512 4096 plas 0" "512 4096 plas 2048" "512 4096 fcfs 2048" "64 256 plas 0" "64 256 plas 512" "512 4096 plas 0" "512 4096 plas 2048"; do
  set -- $spec
  echo "== $(date -u +%H:%M:%S) $1/$2 policy $3 scatter-alloc $4 load $(cut -d' ' -f1-3 /proc/loadavg)"
  PYTHONPATH=$T timeout 400 /work/main/.venv/bin/python $C --running $1 --waiting $2 --policy $3 --scatter-alloc $4 --loop-timer --json $O/count-$G-$1-$3-s$4-$(date -u +%H%M%S).json 2>&1 | grep -v -E "Triton|CPU backend|SSM cache|Model Runner|custom scheduler"
done
echo "== end $(date -u +%H:%M:%S)"
