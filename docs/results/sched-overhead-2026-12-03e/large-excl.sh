#!/bin/bash
# eleventh pass, 512/4096 (2026-12-03): "before" (main at d5c5133, $BEFORE: git archive d5c5133 | tar -x)
# and "after" (this branch, $AFTER: git archive), alternating (the order flips each round);
# first the decision digests of $AFTER (trace.sh; must equal main's), then $R64 rounds at
# 64/256 and $R512 rounds at 512/4096, defaults (--nexus '{}'), --programs 100000. Run under
# the exclusive lock from the repository root:
#   BEFORE=/tmp/ovhL/base AFTER=/tmp/ovhL/branch /work/wt/exclusive timeout 600 bash docs/results/sched-overhead-2026-12-03e/large-excl.sh
BEFORE=${BEFORE:?a copy of main at d5c5133}
AFTER=${AFTER:?a copy of this branch}
R64=${R64:-3}
R512=${R512:-6}
NOT_AFTER=${NOT_AFTER:-1430}
TRACE=${TRACE:-1}
[ "$(date -u +%H%M)" -gt "$NOT_AFTER" ] && { echo "lock came after $NOT_AFTER UTC: not run"; exit 3; }
echo "== start $(date -u +%H:%M:%S) before=$(cat $BEFORE/COMMIT 2>/dev/null) after=$(cat $AFTER/COMMIT 2>/dev/null)"
if [ "$TRACE" = 1 ]; then
  got=$(bash $AFTER/docs/results/sched-overhead-2026-12-03d/trace.sh $AFTER | awk '{print $3}' | tr '\n' ' ')
  echo "== digests after: $got $(date -u +%H:%M:%S)"
  [ "$got" = "764f433c34762f84 931f46020354c8c3 " ] || { echo "digests differ from main's: not measured"; exit 4; }
fi
run() {  # tree running waiting steps
  local pp=$AFTER
  [ "$1" = before ] && pp=$BEFORE
  echo "== round $ROUND tree $1 size $2/$3 load $(cut -d' ' -f1-3 /proc/loadavg) $(date -u +%H:%M:%S)"
  PYTHONPATH=$pp timeout 240 /work/main/.venv/bin/python $AFTER/examples/sched_overhead.py --programs 100000 \
    --running $2 --waiting $3 --steps $4 --nexus '{}' 2>&1 | grep -E "^(running|  )"
}
for ROUND in $(seq 1 $R64); do
  if [ $((ROUND % 2)) = 1 ]; then order="before after"; else order="after before"; fi
  for t in $order; do run $t 64 256 400; done
done
for ROUND in $(seq 1 $R512); do
  if [ $((ROUND % 2)) = 1 ]; then order="before after"; else order="after before"; fi
  for t in $order; do run $t 512 4096 300; done
done
echo "== end $(date -u +%H:%M:%S)"
