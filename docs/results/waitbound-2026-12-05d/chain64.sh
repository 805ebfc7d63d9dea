#!/bin/bash
# The K = 64 diagnostic (README, last section); each line one exclusive command (<= 590 s).
R=/work/main/docs/results/waitbound-2026-12-05d/run.sh
for cell in "RT64 /tmp/wb/traces/react9973.jsonl 300 40" "CH64 /tmp/kvchat/traces/chat9226.jsonl 300 30"; do
  set -- $cell
  for rep in 1 2 3; do
    if [ "$(date -u +%H%M)" -ge 1150 ]; then echo "not started: $1 rep $rep (11:50 UTC cut-off)"; continue; fi
    /work/wt/exclusive timeout 590 bash $R $1 $2 $3 $4 $rep kv-bound 64
    echo "outer rc=$? $1 rep $rep $(date -u +%T)"
  done
done
