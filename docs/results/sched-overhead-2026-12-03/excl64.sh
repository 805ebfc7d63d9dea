#!/bin/bash
# overhead7 (2026-12-03): "before" (a detached worktree of main at b90ef8f, $BEFORE), "after" (this
# tree, its defaults: recompute_ahead "level") and "after-better" (this tree with the old estimate,
# recompute_ahead "better": the per-step changes alone, decisions as before), rotating order,
# rounds 4-6, 64/256 only (a second command, same trees); run under the exclusive lock from the repository root:
#   BEFORE=/work/wt/overhead7-base /work/wt/exclusive timeout 690 bash docs/results/sched-overhead-2026-12-03/excl64.sh
# (BEFORE made with: git -C /work/main worktree add --detach /work/wt/overhead7-base main)
BEFORE=${BEFORE:?a detached worktree of main at b90ef8f}
[ -n "$NOT_AFTER" ] && [ "$(date -u +%H%M)" -gt "$NOT_AFTER" ] && { echo "lock came after $NOT_AFTER UTC: not run"; exit 3; }
run() {  # variant running waiting steps
  local pp=$PWD nexus='{}'
  [ "$1" = before ] && pp=$BEFORE
  [ "$1" = after-better ] && nexus='{"scheduler":{"recompute_ahead":"better"}}'
  echo "== round $ROUND tree $1 size $2/$3 load $(cut -d' ' -f1-3 /proc/loadavg) $(date -u +%H:%M:%S)"
  PYTHONPATH=$pp timeout 240 /work/main/.venv/bin/python examples/sched_overhead.py --programs 100000 \
    --running $2 --waiting $3 --steps $4 --nexus "$nexus" 2>&1 | grep -E "^(running|  )"
}
orders=("before after after-better" "after after-better before" "after-better before after")
for ROUND in 4 5 6; do
  order=${orders[$((ROUND - 4))]}
  for t in $order; do run $t 64 256 400; done
done
echo "== end $(date -u +%H:%M:%S)"
