#!/bin/bash
# usage: ab.sh ROUNDS PROGRAMS CONC OUT -- the default on main's tree (the old snapshot write) and on
# this branch's tree (the new one), alternating, each in a fresh process (light_cpu.py). Exclusive lock.
cd "$(git -C "$(dirname "$0")" rev-parse --show-toplevel)" || exit 1
M=${MODEL:-/tmp/vllm-nexus-tiny}
date -u +"start %H:%M:%S"; cat /proc/loadavg; git log --oneline -1
for r in $(seq 1 $1); do for t in /work/main $PWD; do
  echo "tree $t"
  PYTHONPATH=$t timeout 300 /work/main/.venv/bin/python docs/results/lightload-2026-12-04f/light_cpu.py $M default $2 $3 $4 2>/dev/null | tail -1
done; done
date -u +"end %H:%M:%S"; cat /proc/loadavg
