#!/bin/bash
# excl.sh (twentieth pass): issue 16's benchmark (examples/sched_overhead.py --programs 100000 --nexus '{}'),
# main ($BEFORE, git archive of main) and the candidate ($AFTER) alternating, order flipped each round:
# R64 rounds at 64/256 (400 steps), R512 at 512/4096 (300 steps); then FCFS rounds of main at 64/256
# (--policy fcfs: stock's decisions, ours' bookkeeping). If $AFTER/READY is missing, main only.
# The candidate's decision digests are checked under the shared lock before (COMMANDS.md).
BEFORE=${BEFORE:?}; AFTER=${AFTER:?}
R64=4; R512=2; RF=2  # (fixed: the brief asks >= 4 and >= 2 rounds)
[ "$(date -u +%H%M)" -ge 0015 ] && [ "$(date -u +%H%M)" -lt 2000 ] && { echo "lock came at/after 00:15 UTC: not run"; exit 3; }
echo "== start $(date -u +%H:%M:%S) load $(cut -d' ' -f1-3 /proc/loadavg)"
[ -f $AFTER/READY ] && echo "== candidate $(cat $AFTER/READY)" || { echo "== no candidate ready: main only"; AFTER=; }
if [ -n "$AFTER" ] && [ "${DIGESTS:-1}" = 1 ]; then  # the candidate's decision digests must be main's
  got=$(bash /work/main/docs/results/sched-overhead-2026-12-03d/trace.sh $AFTER | awk '{print $3}' | tr '\n' ' ')
  echo "== digests of the candidate: $got $(date -u +%H:%M:%S)"
  [ "$got" = "764f433c34762f84 931f46020354c8c3 " ] || { echo "== digests differ from main's: main only"; AFTER=; }
fi
run() {  # tree r w steps [extra]
  local t=$1 pp=$BEFORE; [ "$t" = new ] && pp=$AFTER; shift; local r=$1 w=$2 s=$3; shift 3
  echo "== round $ROUND tree $t size $r/$w load $(cut -d' ' -f1-3 /proc/loadavg) $(date -u +%H:%M:%S) $*"
  PYTHONPATH=$pp timeout 240 /work/main/.venv/bin/python $pp/examples/sched_overhead.py --programs 100000 \
    --running $r --waiting $w --steps $s --nexus '{}' "$@" 2>&1 | grep -E "^(running|  )"
}
rounds() { local n=$1; shift
  for ROUND in $(seq 1 $n); do
    if [ -z "$AFTER" ]; then run main "$@";
    elif [ $((ROUND % 2)) = 1 ]; then run main "$@"; run new "$@"; else run new "$@"; run main "$@"; fi
  done; }
rounds $R64 64 256 400
rounds $R512 512 4096 300
for ROUND in $(seq 1 $RF); do run main 64 256 400 --policy fcfs; done
echo "== end $(date -u +%H:%M:%S)"
