#!/bin/bash
# attrib3.sh TREE OUTDIR: attrib.py (calibrated) at the benchmark's phase: 64/256 plas, fcfs; 512/4096 plas, fcfs (300 steps)
T=$1; O=$2; shift 2
cd $T
for sz in ${SIZES:-64,256,400 512,4096,300}; do set -- ${sz//,/ }
for pol in plas fcfs; do
  echo "== $(date -u +%H:%M:%S) attrib $1/$2 policy $pol --fine load $(cut -d' ' -f1-3 /proc/loadavg)"
  PYTHONPATH=$T timeout 400 /work/main/.venv/bin/python /work/wt/ovh21/docs/results/sched-overhead-2026-12-04g/attrib.py --running $1 --waiting $2 --steps $3 --policy $pol --plain-steps 0 --iwarm 0 --fine --json $O/${TAG:-attrib3}-$1-$pol.json 2>&1 | grep -v "^CPU\|^Reset\|Triton\|^Model\|^Using"
done; done
echo "== end $(date -u +%H:%M:%S)"
