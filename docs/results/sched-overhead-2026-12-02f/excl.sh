#!/bin/bash
# overhead6 (2026-12-02): "before" (a copy of main at 81211e2, $BEFORE) vs "after" (this tree),
# alternating, 3 rounds, both sizes; run under the exclusive lock from the repository root:
#   BEFORE=/work/wt/overhead6-base /work/wt/exclusive timeout 700 bash docs/results/sched-overhead-2026-12-02f/excl.sh
# (BEFORE made with: git worktree add --detach /work/wt/overhead6-base 81211e2)
BEFORE=${BEFORE:?a copy of main at 81211e2}
[ -n "$NOT_AFTER" ] && [ "$(date -u +%H%M)" -gt "$NOT_AFTER" ] && { echo "lock came after $NOT_AFTER UTC: not run"; exit 3; }
run() {  # tree running waiting steps
  local pp=$BEFORE; [ "$1" = after ] && pp=$PWD
  echo "== round $ROUND tree $1 size $2/$3 load $(cut -d' ' -f1-3 /proc/loadavg) $(date -u +%H:%M:%S)"
  PYTHONPATH=$pp timeout 240 /work/main/.venv/bin/python examples/sched_overhead.py --programs 100000 \
    --running $2 --waiting $3 --steps $4 2>&1 | grep -E "^(running|  )"
}
for ROUND in 1 2 3; do
  if [ $((ROUND % 2)) = 1 ]; then order="before after"; else order="after before"; fi
  for t in $order; do run $t 64 256 400; done
  for t in $order; do run $t 512 4096 300; done
done
echo "== end $(date -u +%H:%M:%S)"
