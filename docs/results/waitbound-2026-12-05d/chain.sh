#!/bin/bash
# The pre-registered real-engine cells, in order; each line one exclusive command (<= 590 s).
R=/work/main/docs/results/waitbound-2026-12-05d/run.sh
T=/tmp/wb/traces
for cell in "RT $T/react9973.jsonl 300 40" "RH $T/react9731.jsonl 300 40" "MN $T/mr11.jsonl 150 8"; do
  set -- $cell
  for rep in 1 2 3; do
    if [ "$(date -u +%H%M)" -ge 1145 ]; then echo "not started: $1 rep $rep (11:45 UTC cut-off)"; continue; fi
    /work/wt/exclusive timeout 590 bash $R $1 $2 $3 $4 $rep kv-bound 16
    echo "outer rc=$? $1 rep $rep $(date -u +%T)"
  done
done
