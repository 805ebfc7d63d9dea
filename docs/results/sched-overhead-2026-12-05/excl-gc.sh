#!/bin/bash
# excl-gc.sh (twenty-first pass): the collector's share of the plain ratio. Issue 16's benchmark
# (examples/sched_overhead.py --programs 100000 --nexus '{}') from /tmp/ovh22/loc (main f48d58b +
# loc-sched_overhead.diff): plain (as the benchmark) vs --no-gc (gc.collect(); gc.disable() after the
# warm-up: no collection in the timed steps, for both sides), alternating, order flipped each round;
# 4 rounds at 512/4096 (300 steps), 3 at 64/256 (400 steps).
L=/tmp/ovh22/loc
[ "$(date -u +%H%M)" -ge 0305 ] && [ "$(date -u +%H%M)" -lt 2000 ] && { echo "lock came at/after 03:05 UTC: not run"; exit 3; }
echo "== start $(date -u +%H:%M:%S) load $(cut -d' ' -f1-3 /proc/loadavg)"
run() {  # variant r w steps
  local v=$1 r=$2 w=$3 s=$4; local f=(); [ $v = no-gc ] && f=(--no-gc)
  echo "== round $ROUND variant $v size $r/$w load $(cut -d' ' -f1-3 /proc/loadavg) $(date -u +%H:%M:%S)"
  PYTHONPATH=$L timeout 240 /work/main/.venv/bin/python $L/examples/sched_overhead.py --programs 100000 \
    --running $r --waiting $w --steps $s --nexus '{}' "${f[@]}" 2>&1 | grep -E "^(running|  )"
}
for ROUND in 1 2 3 4; do if [ $((ROUND % 2)) = 1 ]; then run plain 512 4096 300; run no-gc 512 4096 300; else run no-gc 512 4096 300; run plain 512 4096 300; fi; done
for ROUND in 1 2 3; do if [ $((ROUND % 2)) = 1 ]; then run plain 64 256 400; run no-gc 64 256 400; else run no-gc 64 256 400; run plain 64 256 400; fi; done
echo "== end $(date -u +%H:%M:%S)"
