#!/bin/bash
# 2026-12-04b: issue 16's benchmark (examples/sched_overhead.py, --programs 100000, --nexus '{}'),
# main ($BEFORE) and this branch ($AFTER) alternating, the order flipped each round; first the
# decision digests of $AFTER (must equal main's); then (DIAG=1) diagnostic runs of main's tree;
# then (ALONE="main new") each side alone in its own process, per tree.
# From the worktree root:
#   BEFORE=/tmp/ovh16/base AFTER=/tmp/ovh16/new /work/wt/exclusive timeout 600 bash docs/results/sched-overhead-2026-12-04b/excl.sh
BEFORE=${BEFORE:?a copy of main}
AFTER=${AFTER:?a copy of this branch}
R64=${R64:-8}
R512=${R512:-3}
DIAG=${DIAG:-1}
ALONE=${ALONE:-main}
NOT_AFTER=${NOT_AFTER:-0610}
HERE=/work/wt/ovh16/docs/results/sched-overhead-2026-12-04b
[ "$(date -u +%H%M)" -gt "$NOT_AFTER" ] && { echo "lock came after $NOT_AFTER UTC: not run"; exit 3; }
echo "== start $(date -u +%H:%M:%S) before=$(cat $BEFORE/COMMIT 2>/dev/null) after=$(cat $AFTER/COMMIT 2>/dev/null)"
got=$(bash /work/wt/ovh16/docs/results/sched-overhead-2026-12-03d/trace.sh $AFTER | awk '{print $3}' | tr '\n' ' ')
echo "== digests after: $got $(date -u +%H:%M:%S)"
[ "$got" = "764f433c34762f84 931f46020354c8c3 " ] || { echo "digests differ from main's: not measured"; exit 4; }
run() {  # tree running waiting steps [extra args]
  local pp=$AFTER t=$1
  [ "$t" = main ] && pp=$BEFORE
  shift; local r=$1 w=$2 s=$3; shift 3
  echo "== round $ROUND tree $t size $r/$w load $(cut -d' ' -f1-3 /proc/loadavg) $(date -u +%H:%M:%S) $*"
  PYTHONPATH=$pp timeout 240 /work/main/.venv/bin/python $AFTER/examples/sched_overhead.py --programs 100000 \
    --running $r --waiting $w --steps $s --nexus '{}' "$@" 2>&1 | grep -E "^(running|  )"
}
rounds() {  # count running waiting steps
  local n=$1; shift
  for ROUND in $(seq 1 $n); do
    if [ $((ROUND % 2)) = 1 ]; then run main "$@"; run new "$@"; else run new "$@"; run main "$@"; fi
  done
}
rounds $R64 64 256 400
rounds $R512 512 4096 300
if [ "$DIAG" = 1 ]; then  # main's tree only, 64/256
  ROUND=d1; run main 64 256 400 --control
  ROUND=d2; echo "== round d2 tree main size 64/256 load $(cut -d' ' -f1-3 /proc/loadavg) $(date -u +%H:%M:%S) stocksub --control"
  TREE=$BEFORE PYTHONPATH=$BEFORE:$HERE timeout 240 /work/main/.venv/bin/python $HERE/stocksub.py --control --programs 100000 \
    --running 64 --waiting 256 --steps 400 2>&1 | grep -E "^(running|  )"
  ROUND=d3; run main 64 256 400 --programs 1000
  ROUND=d4; run main 64 256 400 --policy fcfs
  ROUND=d5; run main 64 256 400 --programs 1000
fi
if [ -n "$ALONE" ]; then
  for k in 1 2 3; do  # each side alone in its own process (main's tree), order flipped each time
    sides="stock ours"; [ $((k % 2)) = 0 ] && sides="ours stock"
    for tree in $ALONE; do  # main and/or new
      tp=$AFTER; [ "$tree" = main ] && tp=$BEFORE
      for side in $sides; do
        echo "== round a$k alone $side tree $tree load $(cut -d' ' -f1-3 /proc/loadavg) $(date -u +%H:%M:%S)"
        TREE=$tp PYTHONPATH=$tp timeout 120 /work/main/.venv/bin/python $HERE/alone.py --side $side 2>&1 | grep "^alone" | sed "s/^alone/alone tree $tree/"
      done
    done
  done
fi
echo "== end $(date -u +%H:%M:%S)"
