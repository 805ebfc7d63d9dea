#!/bin/bash
# attrib6.sh TREE OUTDIR: attrib.py --fine, plas with proactive preemption off, 64/256 and 512/4096
T=$1; O=$2; cd $T
for sz in "64 256 400" "512 4096 300"; do set -- $sz
  echo "== $(date -u +%H:%M:%S) attrib $1/$2 plas preemption:false --fine load $(cut -d' ' -f1-3 /proc/loadavg)"
  PYTHONPATH=$T timeout 400 /work/main/.venv/bin/python /work/wt/ovh21/docs/results/sched-overhead-2026-12-04g/attrib.py --running $1 --waiting $2 --steps $3 --policy plas --nexus '{"scheduler": {"preemption": false}}' --plain-steps 0 --iwarm 0 --fine --json $O/attrib6-$1-nopre.json 2>&1 | grep -v "^CPU\|^Reset\|Triton\|^Model\|^Using"
done
echo "== end $(date -u +%H:%M:%S)"
