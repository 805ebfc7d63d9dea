#!/bin/bash
# usage: engine_cpu.sh ROUNDS N OUT -- alternates stock / fcfs (ours, stock order) / default, each in
# a fresh process, ROUNDS times. Run under the exclusive lock from the repo root.
cd "$(git -C "$(dirname "$0")" rev-parse --show-toplevel)" || exit 1
M=/work/wt/lead-e/.cache/tiny-model
date -u +"start %H:%M:%S"; cat /proc/loadavg; git log --oneline -1
for r in $(seq 1 $1); do for s in stock fcfs default; do
  PYTHONPATH=$PWD timeout 300 /work/main/.venv/bin/python docs/results/tal-2026-12-04e/engine_cpu.py $M $s $2 $3 2>/dev/null | tail -1
done; done
date -u +"end %H:%M:%S"; cat /proc/loadavg
