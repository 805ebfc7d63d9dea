#!/bin/bash
# Per-step CPU overhead vs stock with preemption_size_check on (the new default) and off,
# alternating (order flips each round), examples/sched_overhead.py --programs 100000 at
# 64/256 and 512/4096, the tree this script is in. Run under the exclusive lock:
#   /work/wt/exclusive timeout 600 bash docs/results/tal-2026-12-03f/szoverhead.sh
cd "$(git -C "$(dirname "$0")" rev-parse --show-toplevel)" || exit 1
echo "== start $(date -u +%H:%M:%S) $(git log --oneline -1 | cut -c1-70)"
on='{}'
off='{"scheduler": {"preemption_size_check": false}}'
run() {  # label running waiting json
  echo "== round $ROUND $1 $2/$3 load $(cut -d' ' -f1-3 /proc/loadavg) $(date -u +%H:%M:%S)"
  PYTHONPATH=$PWD timeout 240 /work/main/.venv/bin/python examples/sched_overhead.py --programs 100000 \
    --running $2 --waiting $3 --nexus "$4" 2>&1 | grep -E "^(running|  )"
}
for size in "64 256" "512 4096"; do
  for ROUND in 1 2 3; do
    if [ $((ROUND % 2)) = 1 ]; then run sz-on $size "$on"; run sz-off $size "$off"
    else run sz-off $size "$off"; run sz-on $size "$on"; fi
  done
done
echo "== end $(date -u +%H:%M:%S)"
