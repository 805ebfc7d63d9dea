#!/bin/bash
# 2026-12-04, exclusive command 1 of 2: issue 16's benchmark (examples/sched_overhead.py,
# --programs 100000, --nexus '{}'), main ($BEFORE) and this branch ($AFTER) alternating, the order
# flipped each round; first the decision digests of $AFTER (must equal main's). From the worktree root:
#   BEFORE=/tmp/ovh15/base AFTER=/tmp/ovh15/new /work/wt/exclusive timeout 600 bash docs/results/sched-overhead-2026-12-04/excl.sh
BEFORE=${BEFORE:?a copy of main}
AFTER=${AFTER:?a copy of this branch}
R64=${R64:-8}
R512=${R512:-3}
NOT_AFTER=${NOT_AFTER:-0235}
[ "$(date -u +%H%M)" -gt "$NOT_AFTER" ] && { echo "lock came after $NOT_AFTER UTC: not run"; exit 3; }
echo "== start $(date -u +%H:%M:%S) before=$(cat $BEFORE/COMMIT 2>/dev/null) after=$(cat $AFTER/COMMIT 2>/dev/null)"
got=$(bash /work/wt/ovh15/docs/results/sched-overhead-2026-12-03d/trace.sh $AFTER | awk '{print $3}' | tr '\n' ' ')
echo "== digests after: $got $(date -u +%H:%M:%S)"
[ "$got" = "764f433c34762f84 931f46020354c8c3 " ] || { echo "digests differ from main's: not measured"; exit 4; }
run() {  # tree running waiting steps
  local pp=$AFTER
  [ "$1" = main ] && pp=$BEFORE
  echo "== round $ROUND tree $1 size $2/$3 load $(cut -d' ' -f1-3 /proc/loadavg) $(date -u +%H:%M:%S)"
  PYTHONPATH=$pp timeout 240 /work/main/.venv/bin/python $AFTER/examples/sched_overhead.py --programs 100000 \
    --running $2 --waiting $3 --steps $4 --nexus '{}' 2>&1 | grep -E "^(running|  )"
}
rounds() {  # count running waiting steps
  local n=$1; shift
  for ROUND in $(seq 1 $n); do
    if [ $((ROUND % 2)) = 1 ]; then run main "$@"; run new "$@"; else run new "$@"; run main "$@"; fi
  done
}
rounds $R64 64 256 400
rounds $R512 512 4096 300
echo "== end $(date -u +%H:%M:%S)"
