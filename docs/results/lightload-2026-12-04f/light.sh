#!/bin/bash
# usage: [SCHEDS='...'] light.sh ROUNDS PROGRAMS CONC OUT -- alternates stock / fcfs (ours, stock's order) / default
# (or SCHEDS; a -nosnap suffix: ours without the metrics snapshot),
# each in a fresh process, ROUNDS times (light_cpu.py). Run under the exclusive lock from the repo root.
cd "$(git -C "$(dirname "$0")" rev-parse --show-toplevel)" || exit 1
M=${MODEL:-/tmp/vllm-nexus-tiny}
date -u +"start %H:%M:%S"; cat /proc/loadavg; git log --oneline -1
for r in $(seq 1 $1); do for s in ${SCHEDS:-stock fcfs default}; do
  PYTHONPATH=$PWD timeout 300 /work/main/.venv/bin/python docs/results/lightload-2026-12-04f/light_cpu.py $M $s $2 $3 $4 2>/dev/null | tail -1
done; done
date -u +"end %H:%M:%S"; cat /proc/loadavg
