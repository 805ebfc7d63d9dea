#!/bin/bash
# exclusive lock: examples/sched_overhead.py (issue 16's benchmark), before and after, 512/4096
# and 64/256 at 100k programs (default steps)
PY=/work/main/.venv/bin/python
FILTER="WARN|Triton|CPU backend|Model Runner|custom scheduler"
for sz in "512 4096" "64 256"; do set -- $sz
  for side in BEFORE AFTER; do
    T=${!side}; echo "== sched_overhead $1/$2 $side $(date -u +%T)"
    (cd $T && PYTHONPATH=$T timeout 200 $PY examples/sched_overhead.py --running $1 --waiting $2 --programs 100000 2>&1 | grep -v -E "$FILTER")
  done
done
echo "== end $(date -u +%T)"
