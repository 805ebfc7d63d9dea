#!/bin/bash
# count3.sh TREE OUTDIR: count.py, stock FCFS vs vLLM's own priority policy (no vllm_nexus code),
# 512/4096 and 64/256, plain layout; then 512/4096 with both streams scattered (N 2048).
T=$1; O=$2; cd $T
C=/work/wt/ovh23/docs/results/sched-overhead-2026-12-05b/count.py
for spec in "512 4096 0" "64 256 0" "512 4096 2048" "512 4096 0"; do
  set -- $spec
  echo "== $(date -u +%H:%M:%S) $1/$2 stock vs stock-priority scatter-alloc $3 load $(cut -d' ' -f1-3 /proc/loadavg)"
  PYTHONPATH=$T timeout 400 /work/main/.venv/bin/python $C --running $1 --waiting $2 --second stock-priority --scatter-alloc $3 --loop-timer --json $O/count-c3-$1-prio-s$3-$(date -u +%H%M%S).json 2>&1 | grep -v -E "Triton|CPU backend|SSM cache|Model Runner|custom scheduler|hashed_calls|first\+hash|notoken|prefill_calls|mean_all_len|cached_map"
done
echo "== end $(date -u +%H:%M:%S)"
