#!/bin/bash
# excl.sh (twenty-first pass; the twentieth pass's excl.sh, adapted): issue 16's benchmark
# (examples/sched_overhead.py --programs 100000 --nexus '{}'), main ($BEFORE, git archive of main)
# and the candidate ($AFTER) alternating, order flipped each round: R64 rounds at 64/256 (400 steps),
# R512 at 512/4096 (300 steps). If $AFTER/READY is missing, main only.
# Decisions: the candidate changes the order the batch dict is handed over in, so the standard
# digests (which hash that order) differ by construction; CHECK (a check.sh output, shared lock,
# run before) must show batch-as-set digests of main and of the candidate that are equal, else main only.
BEFORE=${BEFORE:?}; AFTER=${AFTER:?}; CHECK=${CHECK:?}
R64=${R64:-4}; R512=${R512:-4}
[ "$(date -u +%H%M)" -ge 0305 ] && [ "$(date -u +%H%M)" -lt 2000 ] && { echo "lock came at/after 03:05 UTC: not run"; exit 3; }
echo "== start $(date -u +%H:%M:%S) load $(cut -d' ' -f1-3 /proc/loadavg)"
[ -f $AFTER/READY ] && echo "== candidate $(cat $AFTER/READY)" || { echo "== no candidate ready: main only"; AFTER=; }
if [ -n "$AFTER" ]; then
  base=$(awk '/batch-as-set digests of/{t=$NF; next} /^(64|512) /{print t, $3}' $CHECK | grep "^$BEFORE " | awk '{print $2}' | tr '\n' ' ')
  cand=$(awk '/batch-as-set digests of/{t=$NF; next} /^(64|512) /{print t, $3}' $CHECK | grep "^$AFTER " | awk '{print $2}' | tr '\n' ' ')
  echo "== batch-as-set digests ($CHECK): main $base candidate $cand"
  { [ -n "$base" ] && [ "$base" = "$cand" ] && [ $(echo $base | wc -w) = 2 ]; } || { echo "== digests missing or differ: main only"; AFTER=; }
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
rounds $R512 512 4096 300
rounds $R64 64 256 400
echo "== end $(date -u +%H:%M:%S)"
