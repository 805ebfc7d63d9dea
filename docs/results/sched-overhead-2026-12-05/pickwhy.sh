#!/bin/bash
# pickwhy.sh TREE: pickwhy.py at 64/256 (400 steps) and 512/4096 (300 steps); + a smoke run of the locality tree
T=$1; cd $T
D=/work/wt/ovh22/docs/results/sched-overhead-2026-12-05
for sz in "64 256 400" "512 4096 300"; do set -- $sz
  echo "== $(date -u +%H:%M:%S) pickwhy $1/$2 load $(cut -d' ' -f1-3 /proc/loadavg)"
  PYTHONPATH=$T timeout 300 /work/main/.venv/bin/python $D/pickwhy.py --running $1 --waiting $2 --steps $3 2>&1 | grep -v "^CPU\|^Reset\|Triton\|^Model\|^Using\|WARNING"
done
echo "== $(date -u +%H:%M:%S) smoke: locality tree, 40 steps"
cd /tmp/ovh22/loc && PYTHONPATH=/tmp/ovh22/loc timeout 300 /work/main/.venv/bin/python examples/sched_overhead.py --programs 100000 --running 64 --waiting 256 --steps 40 --nexus '{}' --reorder-ours creation --reorder-stock shuffle 2>&1 | grep -E "^(running|  )"
echo "== end $(date -u +%H:%M:%S)"
