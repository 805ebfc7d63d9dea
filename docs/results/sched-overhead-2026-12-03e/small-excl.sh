#!/bin/bash
# ovhsmall (2026-12-03, eleventh pass, 64/256 per-event costs): the tenth pass's excl.sh with
# the rounds per setting as variables. "before" (a copy of main at d5c5133, $BEFORE: git
# archive d5c5133 | tar -x) and "after" (a copy of this branch, $AFTER), alternating (the
# order flips each round), defaults (--nexus '{}'), then --policy fcfs (the bookkeeping
# floor), then 512/4096; run under the exclusive lock from the repository root:
#   BEFORE=/tmp/ovhS/base AFTER=/tmp/ovhS/branch /work/wt/exclusive timeout 600 bash docs/results/sched-overhead-2026-12-03e/small-excl.sh
BEFORE=${BEFORE:?a copy of main at d5c5133}
AFTER=${AFTER:?a copy of this branch}
R64=${R64:-4}
RF=${RF:-4}
R512=${R512:-2}
[ -n "$NOT_AFTER" ] && [ "$(date -u +%H%M)" -gt "$NOT_AFTER" ] && { echo "lock came after $NOT_AFTER UTC: not run"; exit 3; }
run() {  # tree running waiting steps [extra args]
  local pp=$AFTER
  [ "$1" = before ] && pp=$BEFORE
  echo "== round $ROUND tree $1 size $2/$3 $5 load $(cut -d' ' -f1-3 /proc/loadavg) $(date -u +%H:%M:%S)"
  PYTHONPATH=$pp timeout 240 /work/main/.venv/bin/python $AFTER/examples/sched_overhead.py --programs 100000 \
    --running $2 --waiting $3 --steps $4 --nexus '{}' $5 2>&1 | grep -E "^(running|  )"
}
rounds() {  # count running waiting steps [extra args]
  local n=$1; shift
  for ROUND in $(seq 1 $n); do
    if [ $((ROUND % 2)) = 1 ]; then order="before after"; else order="after before"; fi
    for t in $order; do run $t "$@"; done
  done
}
echo "== start $(date -u +%H:%M:%S) before=$(cat $BEFORE/COMMIT 2>/dev/null) after=$(cat $AFTER/COMMIT 2>/dev/null)"
rounds $R64 64 256 400
rounds $RF 64 256 400 "--policy fcfs"
rounds $R512 512 4096 300
echo "== end $(date -u +%H:%M:%S)"
