#!/bin/bash
# k1.sh: diagnostic tree /tmp/ovh21/k1 (running keys in a side dict instead of an attribute on each request):
# its decision digests, then attrib.py plas at 512/4096 and 64/256 on it
T=/tmp/ovh21/k1; O=/work/wt/ovh21/docs/results/sched-overhead-2026-12-04g; cd $T
echo "== $(date -u +%H:%M:%S) digests"; bash /work/main/docs/results/sched-overhead-2026-12-03d/trace.sh $T
for sz in "512 4096 300" "64 256 400"; do set -- $sz
  echo "== $(date -u +%H:%M:%S) attrib $1/$2 plas on k1 load $(cut -d' ' -f1-3 /proc/loadavg)"
  PYTHONPATH=$T timeout 400 /work/main/.venv/bin/python $O/attrib.py --running $1 --waiting $2 --steps $3 --policy plas --plain-steps 0 --iwarm 0 --json $O/attrib7-$1-k1.json 2>&1 | grep -v "^CPU\|^Reset\|Triton\|^Model\|^Using"
done
for T in /tmp/ovh21/base /tmp/ovh21/k1; do cd $T  # the same runs for main's tree and k1 again, alternating
  echo "== $(date -u +%H:%M:%S) attrib 512/4096 plas on $T load $(cut -d' ' -f1-3 /proc/loadavg)"
  PYTHONPATH=$T timeout 400 /work/main/.venv/bin/python $O/attrib.py --running 512 --waiting 4096 --steps 300 --policy plas --plain-steps 0 --iwarm 0 --json $O/attrib7-512-$(basename $T)-b.json 2>&1 | grep -v "^CPU\|^Reset\|Triton\|^Model\|^Using"
done
echo "== end $(date -u +%H:%M:%S)"
