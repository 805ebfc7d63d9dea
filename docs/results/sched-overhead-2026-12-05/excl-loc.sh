#!/bin/bash
# excl-loc.sh (twenty-first pass): the locality test, timed. Issue 16's benchmark
# (examples/sched_overhead.py --programs 100000 --nexus '{}') from /tmp/ovh22/loc (main f48d58b +
# the diagnostic --reorder-ours/--reorder-stock flags: the scheduled calls re-inserted, untimed,
# before the synthetic output is built and update_from_output walks them):
#   plain      : as the benchmark (vLLM's update loop walks ours' batch in running = level order)
#   ours-crea  : ours' batch handed to update_from_output in request-creation order (= memory order)
#   stock-shuf : stock's batch shuffled (seeded)
# rounds at 512/4096 (300 steps) and 64/256 (400 steps), variant order rotated each round; then
# --policy fcfs at 512/4096 (stock's decisions) plain vs ours shuffled.
L=/tmp/ovh22/loc
[ "$(date -u +%H%M)" -ge 0305 ] && [ "$(date -u +%H%M)" -lt 2000 ] && { echo "lock came at/after 03:05 UTC: not run"; exit 3; }
echo "== start $(date -u +%H:%M:%S) load $(cut -d' ' -f1-3 /proc/loadavg)"
run() {  # variant r w steps [extra]
  local v=$1 r=$2 w=$3 s=$4; shift 4; local f=()
  case $v in ours-crea) f=(--reorder-ours creation);; stock-shuf) f=(--reorder-stock shuffle);; ours-shuf) f=(--reorder-ours shuffle);; esac
  echo "== round $ROUND variant $v size $r/$w load $(cut -d' ' -f1-3 /proc/loadavg) $(date -u +%H:%M:%S) $*"
  PYTHONPATH=$L timeout 240 /work/main/.venv/bin/python $L/examples/sched_overhead.py --programs 100000 \
    --running $r --waiting $w --steps $s --nexus '{}' "${f[@]}" "$@" 2>&1 | grep -E "^(running|  )"
}
V=(plain ours-crea stock-shuf)
for ROUND in 1 2 3; do for k in 0 1 2; do run ${V[$(( (k + ROUND - 1) % 3 ))]} 512 4096 300; done; done
for ROUND in 1 2; do for k in 0 1 2; do run ${V[$(( (k + ROUND - 1) % 3 ))]} 64 256 400; done; done
for ROUND in 1 2; do
  if [ $ROUND = 1 ]; then run plain 512 4096 300 --policy fcfs; run ours-shuf 512 4096 300 --policy fcfs;
  else run ours-shuf 512 4096 300 --policy fcfs; run plain 512 4096 300 --policy fcfs; fi
done
echo "== end $(date -u +%H:%M:%S)"
