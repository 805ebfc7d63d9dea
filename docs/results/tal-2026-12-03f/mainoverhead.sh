#!/bin/bash
# Issue 16's benchmark on the merged main at the session's end (this session's issue-16 pass
# and the preemption_size_check default both in): examples/sched_overhead.py --programs 100000
# --nexus '{}' (the defaults), 4 rounds at 64/256 and 4 at 512/4096. Exclusive lock:
#   /work/wt/exclusive timeout 600 bash docs/results/tal-2026-12-03f/mainoverhead.sh
cd "$(git -C "$(dirname "$0")" rev-parse --show-toplevel)" || exit 1
echo "== start $(date -u +%H:%M:%S) $(git log --oneline -1 | cut -c1-70)"
for size in "64 256" "512 4096"; do
  for ROUND in 1 2 3 4; do
    set -- $size
    echo "== round $ROUND $1/$2 load $(cut -d' ' -f1-3 /proc/loadavg) $(date -u +%H:%M:%S)"
    PYTHONPATH=$PWD timeout 240 /work/main/.venv/bin/python examples/sched_overhead.py --programs 100000 \
      --running $1 --waiting $2 --nexus '{}' 2>&1 | grep -E "^(running|  )"
  done
done
echo "== end $(date -u +%H:%M:%S)"
