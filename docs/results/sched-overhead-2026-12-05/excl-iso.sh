#!/bin/bash
# excl-iso.sh (twenty-first pass): is vLLM's slower output loop beside plas at 512/4096 an artefact of
# running both schedulers in one process (vLLM's code, shared, alternating between two scheduler
# types)? Main (/tmp/ovh22/base): issue 16's benchmark in one process (2 rounds) and --isolated 4
# (each side alone in a fresh process, order flipped each round) at 512/4096 (300 steps), then the
# same at 64/256 (400 steps).
B=/tmp/ovh22/base
[ "$(date -u +%H%M)" -ge 0305 ] && [ "$(date -u +%H%M)" -lt 2000 ] && { echo "lock came at/after 03:05 UTC: not run"; exit 3; }
echo "== start $(date -u +%H:%M:%S) load $(cut -d' ' -f1-3 /proc/loadavg)"
for sz in "512 4096 300" "64 256 400"; do set -- $sz
  for ROUND in 1 2; do
    echo "== round $ROUND tree main size $1/$2 load $(cut -d' ' -f1-3 /proc/loadavg) $(date -u +%H:%M:%S)"
    PYTHONPATH=$B timeout 200 /work/main/.venv/bin/python $B/examples/sched_overhead.py --programs 100000 --running $1 --waiting $2 --steps $3 --nexus '{}' 2>&1 | grep -E "^(running|  )"
  done
  echo "== isolated size $1/$2 load $(cut -d' ' -f1-3 /proc/loadavg) $(date -u +%H:%M:%S)"
  PYTHONPATH=$B timeout 240 /work/main/.venv/bin/python $B/examples/sched_overhead.py --programs 100000 --running $1 --waiting $2 --steps $3 --nexus '{}' --isolated 4 2>&1 | grep -E "^(running|  )"
done
echo "== end $(date -u +%H:%M:%S)"
