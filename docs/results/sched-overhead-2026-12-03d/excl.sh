#!/bin/bash
# overhead10 (2026-12-03, tenth pass; the ninth pass script):
# "before" (a copy of main at 0497c68, $BEFORE: git archive 0497c68 | tar -x) and "after" (a
# copy of this branch, $AFTER), alternating (the order flips each round), both sizes, defaults
# (--nexus '{}'), then FCFS ($RF rounds, --policy fcfs: the bookkeeping floor); run under the
# exclusive lock from the repository root:
#   BEFORE=/tmp/ovh10/base AFTER=/tmp/ovh10/branch /work/wt/exclusive timeout 300 bash docs/results/sched-overhead-2026-12-03d/excl.sh
BEFORE=${BEFORE:?a copy of main at 0497c68}
AFTER=${AFTER:?a copy of this branch}
R64=${R64:-3}
R512=${R512:-3}
RF=${RF:-2}
[ -n "$NOT_AFTER" ] && [ "$(date -u +%H%M)" -gt "$NOT_AFTER" ] && { echo "lock came after $NOT_AFTER UTC: not run"; exit 3; }
run() {  # tree running waiting steps [extra args]
  local pp=$AFTER
  [ "$1" = before ] && pp=$BEFORE
  echo "== round $ROUND tree $1 size $2/$3 $5 load $(cut -d' ' -f1-3 /proc/loadavg) $(date -u +%H:%M:%S)"
  PYTHONPATH=$pp timeout 240 /work/main/.venv/bin/python $AFTER/examples/sched_overhead.py --programs 100000 \
    --running $2 --waiting $3 --steps $4 --nexus '{}' $5 2>&1 | grep -E "^(running|  )"
}
echo "== start $(date -u +%H:%M:%S) after=$(cat $AFTER/COMMIT 2>/dev/null)"
for ROUND in $(seq 1 $R64); do
  if [ $((ROUND % 2)) = 1 ]; then order="before after"; else order="after before"; fi
  for t in $order; do run $t 64 256 400; done
done
for ROUND in $(seq 1 $R512); do
  if [ $((ROUND % 2)) = 1 ]; then order="before after"; else order="after before"; fi
  for t in $order; do run $t 512 4096 300; done
done
for ROUND in $(seq 1 $RF); do
  if [ $((ROUND % 2)) = 1 ]; then order="before after"; else order="after before"; fi
  for t in $order; do run $t 64 256 400 "--policy fcfs"; done
done
echo "== end $(date -u +%H:%M:%S)"
