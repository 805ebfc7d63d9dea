#!/bin/bash
# excl-scat.sh (twenty-second pass): the layout test, timed. Issue 16's benchmark
# (examples/sched_overhead.py --programs 100000 --nexus '{}', main 82c1d67) as is ("plain", from
# /tmp/ovh23/base) and with both streams' Request objects allocated N at a time in a seeded random
# order ("scat": /tmp/ovh23/scat = main + scatter-sched_overhead.diff, --scatter-alloc N; same
# requests, same arrival order, same decisions: only where the objects sit in memory changes).
# 3 rounds at 512/4096 (300 steps, N 2048) and 64/256 (400 steps, N 512), variant order flipped
# each round; then --policy fcfs at 512/4096, plain and scat, 1 round.
[ "$(date -u +%H%M)" -ge 0600 ] && [ "$(date -u +%H%M)" -lt 2000 ] && { echo "lock came at/after 06:00 UTC: not run"; exit 3; }
echo "== start $(date -u +%H:%M:%S) load $(cut -d' ' -f1-3 /proc/loadavg)"
run() {  # variant r w steps N [extra]
  local v=$1 r=$2 w=$3 s=$4 n=$5; shift 5; local t=/tmp/ovh23/base f=()
  [ $v = scat ] && { t=/tmp/ovh23/scat; f=(--scatter-alloc $n); }
  echo "== round $ROUND variant $v size $r/$w load $(cut -d' ' -f1-3 /proc/loadavg) $(date -u +%H:%M:%S) $*"
  PYTHONPATH=$t timeout 240 /work/main/.venv/bin/python $t/examples/sched_overhead.py --programs 100000 \
    --running $r --waiting $w --steps $s --nexus '{}' "${f[@]}" "$@" 2>&1 | grep -E "^(running|  )"
}
for ROUND in 1 2 3; do
  if [ $((ROUND % 2)) = 1 ]; then run plain 512 4096 300 2048; run scat 512 4096 300 2048;
  else run scat 512 4096 300 2048; run plain 512 4096 300 2048; fi
done
for ROUND in 1 2 3; do
  if [ $((ROUND % 2)) = 1 ]; then run plain 64 256 400 512; run scat 64 256 400 512;
  else run scat 64 256 400 512; run plain 64 256 400 512; fi
done
ROUND=1; run plain 512 4096 300 2048 --policy fcfs; run scat 512 4096 300 2048 --policy fcfs
echo "== end $(date -u +%H:%M:%S)"
