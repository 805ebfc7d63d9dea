#!/bin/bash
T=$1; cd $T
for sz in "512 4096" "64 256"; do set -- $sz
  echo "== $(date -u +%H:%M:%S) gcwho $1/$2 load $(cut -d' ' -f1-3 /proc/loadavg)"
  PYTHONPATH=$T timeout 300 /work/main/.venv/bin/python /work/wt/ovh22/docs/results/sched-overhead-2026-12-05/gcwho.py --running $1 --waiting $2 --steps 30 2>&1 | grep -v "^CPU\|^Reset\|Triton\|^Model\|^Using\|WARNING"
done
echo "== end $(date -u +%H:%M:%S)"
