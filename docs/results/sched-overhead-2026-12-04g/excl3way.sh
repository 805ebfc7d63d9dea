#!/bin/bash
# excl3way.sh: main ($BEFORE), candidate A ($A) and candidate B ($B) in one window, issue 16's benchmark
# (examples/sched_overhead.py --programs 100000 --nexus '{}'), the order rotated each round:
# R64 rounds at 64/256 (400 steps), R512 at 512/4096 (300 steps). Digests of A and B checked first.
BEFORE=${BEFORE:?}; A=${A:?}; B=${B:?}
R64=6; R512=3
[ "$(date -u +%H%M)" -ge 0015 ] && [ "$(date -u +%H%M)" -lt 2000 ] && { echo "lock came at/after 00:15 UTC: not run"; exit 3; }
echo "== start $(date -u +%H:%M:%S) load $(cut -d' ' -f1-3 /proc/loadavg)"
for t in $A $B; do
  got=$(bash /work/main/docs/results/sched-overhead-2026-12-03d/trace.sh $t | awk '{print $3}' | tr '\n' ' ')
  echo "== digests of $t ($(cat $t/READY)): $got $(date -u +%H:%M:%S)"
  [ "$got" = "764f433c34762f84 931f46020354c8c3 " ] || { echo "== digests differ: not measured"; exit 4; }
done
run() {  # name tree r w steps
  echo "== round $ROUND tree $1 size $3/$4 load $(cut -d' ' -f1-3 /proc/loadavg) $(date -u +%H:%M:%S)"
  PYTHONPATH=$2 timeout 240 /work/main/.venv/bin/python $2/examples/sched_overhead.py --programs 100000 \
    --running $3 --waiting $4 --steps $5 --nexus '{}' 2>&1 | grep -E "^(running|  )"
}
rounds() { local n=$1; shift
  for ROUND in $(seq 1 $n); do
    case $((ROUND % 3)) in
      1) run main $BEFORE "$@"; run A $A "$@"; run B $B "$@";;
      2) run A $A "$@"; run B $B "$@"; run main $BEFORE "$@";;
      0) run B $B "$@"; run main $BEFORE "$@"; run A $A "$@";;
    esac
  done; }
rounds $R64 64 256 400
rounds $R512 512 4096 300
echo "== end $(date -u +%H:%M:%S)"
