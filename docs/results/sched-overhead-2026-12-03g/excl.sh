#!/bin/bash
# thirteenth pass (2026-12-03 (g)): "before" (main at 33551a3, $BEFORE: git archive 33551a3 | tar -x)
# and "after" (this branch, $AFTER: git archive), alternating (the order flips each round), as
# the eleventh pass's small-excl.sh / large-excl.sh: first the decision digests of $AFTER
# (trace.sh; must equal main's), then $R64 rounds at 64/256 (defaults, --nexus '{}'), $RF at
# 64/256 --policy fcfs (the bookkeeping floor), $R512 at 512/4096; --programs 100000. Run under
# the exclusive lock from the repository root:
#   BEFORE=/tmp/ovh64/base AFTER=/tmp/ovh64/branch /work/wt/exclusive timeout 600 bash docs/results/sched-overhead-2026-12-03g/excl.sh
BEFORE=${BEFORE:?a copy of main at 33551a3}
AFTER=${AFTER:?a copy of this branch}
R64=${R64:-6}
RF=${RF:-2}
R512=${R512:-4}
NOT_AFTER=${NOT_AFTER:-2020}
[ "$(date -u +%H%M)" -gt "$NOT_AFTER" ] && { echo "lock came after $NOT_AFTER UTC: not run"; exit 3; }
echo "== start $(date -u +%H:%M:%S) before=$(cat $BEFORE/COMMIT 2>/dev/null) after=$(cat $AFTER/COMMIT 2>/dev/null)"
got=$(bash $AFTER/docs/results/sched-overhead-2026-12-03d/trace.sh $AFTER | awk '{print $3}' | tr '\n' ' ')
echo "== digests after: $got $(date -u +%H:%M:%S)"
[ "$got" = "764f433c34762f84 931f46020354c8c3 " ] || { echo "digests differ from main's: not measured"; exit 4; }
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
rounds $R64 64 256 400
rounds $RF 64 256 400 "--policy fcfs"
rounds $R512 512 4096 300
echo "== end $(date -u +%H:%M:%S)"
