#!/bin/bash
# attrib2.sh TREE OUTDIR: the benchmark's phase (60 plain warm-up, then 400 instrumented steps),
# plas, fcfs, plas with --fine; then the plain benchmark (examples/sched_overhead.py) for both policies.
T=$1; O=$2; shift 2
cd $T
for pol in plas fcfs; do
  echo "== $(date -u +%H:%M:%S) attrib policy $pol --fine load $(cut -d' ' -f1-3 /proc/loadavg)"
  PYTHONPATH=$T timeout 300 /work/main/.venv/bin/python /work/wt/ovh21/docs/results/sched-overhead-2026-12-04g/attrib.py --policy $pol --plain-steps 0 --iwarm 0 --fine --json $O/attrib2-$pol-$(date -u +%H%M%S).json "$@" 2>&1 | grep -v "^CPU\|^Reset\|Triton\|^Model\|^Using"
done
for pol in plas fcfs; do
  echo "== $(date -u +%H:%M:%S) plain sched_overhead policy $pol load $(cut -d' ' -f1-3 /proc/loadavg)"
  PYTHONPATH=$T timeout 300 /work/main/.venv/bin/python examples/sched_overhead.py --programs 100000 --running 64 --waiting 256 --steps 400 --nexus '{}' --policy $pol 2>&1 | grep -E "^(running|  )"
done
echo "== end $(date -u +%H:%M:%S)"
