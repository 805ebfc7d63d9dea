#!/bin/bash
# indicative A/B under the SHARED lock (not quotable as a figure; ratio scatter only):
# before/after alternating, 64/256, R rounds.  usage: BEFORE=.. AFTER=.. R=3 quick.sh
R=${R:-3}
for ROUND in $(seq 1 $R); do
  if [ $((ROUND % 2)) = 1 ]; then order="before after"; else order="after before"; fi
  for t in $order; do
    pp=$AFTER; [ $t = before ] && pp=$BEFORE
    echo "== round $ROUND $t load $(cut -d' ' -f1 /proc/loadavg) $(date -u +%T)"
    PYTHONPATH=$pp timeout 240 /work/main/.venv/bin/python $AFTER/examples/sched_overhead.py --programs 100000 --running 64 --waiting 256 --steps 400 --nexus '{}' ${EXTRA} 2>&1 | grep -E "^  (ratio|stock|vllm)"
  done
done
