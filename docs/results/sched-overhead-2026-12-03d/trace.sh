#!/bin/bash
# usage: trace.sh TREE  (the fifth pass's decision digest, both sizes; main: 764f433c34762f84, 931f46020354c8c3)
T=${1:-$PWD}
cd $T
for sz in "64 256 400" "512 4096 200"; do set -- $sz
PYTHONPATH=$T /work/main/.venv/bin/python docs/results/sched-overhead-2026-12-02e/trace.py --running $1 --waiting $2 --steps $3 2>&1 | tail -1
done
