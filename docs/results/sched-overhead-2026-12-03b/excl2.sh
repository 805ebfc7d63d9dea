#!/bin/bash
# overhead8 (2026-12-03), second exclusive command: rounds 7-10 at 64/256 (same trees as excl.sh,
# order flips each round), then controls at 64/256: stock vs stock (noise floor), ours with
# `--policy fcfs` (our bookkeeping hooks with vLLM doing stock's work: no reordering, no
# proactive preemption), stock FCFS vs stock priority (vLLM's own cost of out-of-order service):
#   BEFORE=/tmp/ovh8/base AFTER=/tmp/ovh8/branch /work/wt/exclusive timeout 690 bash docs/results/sched-overhead-2026-12-03b/excl2.sh
BEFORE=${BEFORE:?a copy of main at 5b21056}
AFTER=${AFTER:?a copy of this branch}
[ -n "$NOT_AFTER" ] && [ "$(date -u +%H%M)" -gt "$NOT_AFTER" ] && { echo "lock came after $NOT_AFTER UTC: not run"; exit 3; }
run() {  # tree running waiting steps [extra args]
  local pp=$AFTER t=$1
  [ "$t" = before ] && pp=$BEFORE
  shift
  echo "== round $ROUND tree $t size $1/$2 ${*:4} load $(cut -d' ' -f1-3 /proc/loadavg) $(date -u +%H:%M:%S)"
  PYTHONPATH=$pp timeout 240 /work/main/.venv/bin/python $AFTER/examples/sched_overhead.py --programs 100000 \
    --running $1 --waiting $2 --steps $3 --nexus '{}' "${@:4}" 2>&1 | grep -E "^(running|  )"
}
echo "== start $(date -u +%H:%M:%S) after=$(cat $AFTER/COMMIT 2>/dev/null)"
for ROUND in 7 8 9 10; do
  if [ $((ROUND % 2)) = 1 ]; then order="before after"; else order="after before"; fi
  for t in $order; do run $t 64 256 400; done
done
ROUND=c1; run after 64 256 400 --control
ROUND=f1; run after 64 256 400 --policy fcfs
ROUND=f1; run before 64 256 400 --policy fcfs
ROUND=p1; run after 64 256 400 --control --control-policy priority
ROUND=c2; run after 64 256 400 --control
ROUND=f2; run after 64 256 400 --policy fcfs
ROUND=f2; run before 64 256 400 --policy fcfs
echo "== end $(date -u +%H:%M:%S)"
