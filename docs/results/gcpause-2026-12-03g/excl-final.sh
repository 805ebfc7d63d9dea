#!/bin/bash
# exclusive lock, second and last: the final branch ($AFTER = git archive of this branch's
# final code): gcheap.py and gcprobe.py --mode engine (before was measured by excl-gc.sh on
# the same main copy), then examples/sched_overhead.py (issue 16's benchmark) before and
# after, 512/4096 and 64/256 at 100k programs (default steps), two rounds
R=docs/results/gcpause-2026-12-03g
F=docs/results/sched-overhead-2026-12-03f
PY=/work/main/.venv/bin/python
FILTER="WARN|Triton|CPU backend|Model Runner|custom scheduler"
echo "== gcheap AFTER $(date -u +%T)"
(cd $AFTER && PYTHONPATH=$AFTER timeout 200 $PY $AFTER/$R/gcheap.py 2>&1 | grep -v -E "$FILTER")
echo "== gcprobe engine AFTER $(date -u +%T)"
(cd $AFTER && PYTHONPATH=$AFTER timeout 150 $PY $AFTER/$F/gcprobe.py --mode engine 2>&1 | grep -v -E "$FILTER")
for sz in "512 4096" "64 256" "512 4096" "64 256"; do set -- $sz
  for side in BEFORE AFTER; do
    T=${!side}; echo "== sched_overhead $1/$2 $side $(date -u +%T)"
    (cd $T && PYTHONPATH=$T timeout 150 $PY examples/sched_overhead.py --running $1 --waiting $2 --programs 100000 2>&1 | grep -v -E "$FILTER")
  done
done
echo "== end $(date -u +%T)"
