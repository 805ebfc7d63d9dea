#!/bin/bash
# usage: [STEPS=8000 RUNNING=64 WAITING=256] spy.sh TREE OUTPREFIX policy...  (py-spy at 1 kHz over spy_run.py)
T=$1; O=$2; shift 2
cd $T
for pol in "$@"; do
  echo "### $pol $(date -u +%T) load $(cut -d' ' -f1 /proc/loadavg)"
  PYTHONPATH=$T /work/main/.venv/bin/py-spy record -r 1000 -f raw -o $O-$pol.raw -- /work/main/.venv/bin/python $T/docs/results/sched-overhead-2026-12-03f/spy_run.py --steps ${STEPS:-8000} --running ${RUNNING:-64} --waiting ${WAITING:-256} --policy $pol 2>&1 | grep -v WARN | grep -E "^(stock|py-spy> Wrote)"
  /work/main/.venv/bin/python $T/docs/results/sched-overhead-2026-12-03f/spy_split.py $O-$pol.raw
done
