#!/bin/bash
# 2026-12-03 (h), exclusive command 1 of 2: issue 16's benchmark (examples/sched_overhead.py,
# --programs 100000, --nexus as below), three configurations in one command, the order
# permuted each round (all six orders over six rounds):
#   main = $BEFORE (git archive of main), defaults;
#   new  = $AFTER (git archive of this branch), defaults (program_pack_after_s 60);
#   t0   = $AFTER with scheduler.program_pack_after_s 0 (every idle program packed at once,
#          as the gcpause branch did: what packing costs when every call revives and re-packs).
# First the decision digests of $AFTER (trace.sh; must equal main's). Run from the worktree root:
#   BEFORE=/tmp/ovh14/base AFTER=/tmp/ovh14/new /work/wt/exclusive timeout 600 bash docs/results/sched-overhead-2026-12-03h/excl.sh
BEFORE=${BEFORE:?a copy of main}
AFTER=${AFTER:?a copy of this branch}
R64=${R64:-6}
R512=${R512:-4}
NOT_AFTER=${NOT_AFTER:-2345}
[ "$(date -u +%H%M)" -gt "$NOT_AFTER" ] && { echo "lock came after $NOT_AFTER UTC: not run"; exit 3; }
echo "== start $(date -u +%H:%M:%S) before=$(cat $BEFORE/COMMIT 2>/dev/null) after=$(cat $AFTER/COMMIT 2>/dev/null)"
got=$(bash $AFTER/docs/results/sched-overhead-2026-12-03d/trace.sh $AFTER | awk '{print $3}' | tr '\n' ' ')
echo "== digests after: $got $(date -u +%H:%M:%S)"
[ "$got" = "764f433c34762f84 931f46020354c8c3 " ] || { echo "digests differ from main's: not measured"; exit 4; }
ORDERS=("main new t0" "t0 new main" "new main t0" "t0 main new" "new t0 main" "main t0 new")
run() {  # tree running waiting steps
  local pp=$AFTER nexus='{}'
  [ "$1" = main ] && pp=$BEFORE
  [ "$1" = t0 ] && nexus='{"scheduler": {"program_pack_after_s": 0}}'
  echo "== round $ROUND tree $1 size $2/$3 load $(cut -d' ' -f1-3 /proc/loadavg) $(date -u +%H:%M:%S)"
  PYTHONPATH=$pp timeout 240 /work/main/.venv/bin/python $AFTER/examples/sched_overhead.py --programs 100000 \
    --running $2 --waiting $3 --steps $4 --nexus "$nexus" 2>&1 | grep -E "^(running|  )"
}
rounds() {  # count running waiting steps
  local n=$1; shift
  for ROUND in $(seq 1 $n); do
    for t in ${ORDERS[$(( (ROUND - 1) % 6 ))]}; do run $t "$@"; done
  done
}
rounds $R64 64 256 400
rounds $R512 512 4096 300
echo "== end $(date -u +%H:%M:%S)"
