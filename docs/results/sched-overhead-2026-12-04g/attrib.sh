#!/bin/bash
# attrib.sh TREE OUTDIR [extra args]: attrib.py at 64/256 with plas, fcfs, plas again (one process each)
T=$1; O=$2; shift 2
cd $T
for pol in plas fcfs plas; do
  echo "== $(date -u +%H:%M:%S) policy $pol load $(cut -d' ' -f1-3 /proc/loadavg)"
  PYTHONPATH=$T timeout 300 /work/main/.venv/bin/python /work/wt/ovh21/docs/results/sched-overhead-2026-12-04g/attrib.py --policy $pol --json $O/attrib-$pol-$(date -u +%H%M%S).json "$@" 2>&1 | grep -v "^CPU\|^Reset\|Triton\|^Model\|^Using"
done
echo "== end $(date -u +%H:%M:%S)"
