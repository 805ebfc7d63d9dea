#!/bin/bash
# machine-state timeline: /proc/stat + loadavg every 5 s (a file read); every 120 s a
# quick probe (~0.2 s CPU) but only when no exclusive run holds the machine (non-blocking).
OUT=/work/wt/simfid3/results/watch
mkdir -p $OUT
i=0
while true; do
  echo "$(date +%s) $(head -1 /proc/stat) | $(cat /proc/loadavg)" >> $OUT/stat.txt
  if (( i % 24 == 0 )); then
    flock -x -n /tmp/nexus-turn.lock flock -s -n /tmp/nexus-quiet.lock \
      env PYTHONPATH=/work/wt/simfid3 /work/main/.venv/bin/vllm-nexus simulate probe --quick --reps 5 --out $OUT/probes.jsonl --label watch > /dev/null 2>&1 \
      || echo "$(date +%s) skipped" >> $OUT/skipped.txt
  fi
  i=$((i+1)); sleep 5
done
