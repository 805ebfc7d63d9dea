#!/bin/bash
# 2026-12-04e (eighteenth pass; the seventeenth pass's excl.sh with AFTER taken from the gate file
# /tmp/ovh20/GO when AFTER=gate: written by gate.py after the instruction/L2 counts, absent = not timed).
# 2026-12-04d (seventeenth pass; a copy of 2026-12-04c's excl.sh): issue 16's benchmark
# (examples/sched_overhead.py, --programs 100000, --nexus '{}'), main ($BEFORE) and this branch
# ($AFTER, its per-step modules compiled) alternating, the order flipped each round; first (unless
# DIGESTS=0: checked under the shared lock beforehand) the decision digests of $AFTER (must equal
# main's), and which modules $AFTER imports compiled (printed). MODE=inproc: R64 rounds at 64/256 and
# R512 at 512/4096, both schedulers in one process; MODE=isolated: --isolated ISO at 64/256 per tree
# (each side alone in a fresh process), trees alternating, NISO times. MODE=main-isolated /
# main-inproc: main's tree only (DIGESTS=0 AFTER=$BEFORE).
# From the worktree root:
# MODE=inproc+iso: inproc, then isolated. From the worktree root:
#   BEFORE=/tmp/ovh20/base AFTER=/tmp/ovh20/new MODE=isolated /work/wt/exclusive timeout 480 bash docs/results/sched-overhead-2026-12-04f/excl.sh
BEFORE=${BEFORE:?a copy of main}
AFTER=${AFTER:?a copy of this branch}
if [ "$AFTER" = gate ]; then
  [ -s /tmp/ovh20/GO ] || { echo "== $(date -u +%H:%M:%S) no /tmp/ovh20/GO: no candidate passed the gate (gate.py); not timed"; exit 5; }
  AFTER=$(cat /tmp/ovh20/GO)
fi
MODE=${MODE:-inproc}
R64=${R64:-6}
R512=${R512:-2}
ISO=${ISO:-3}
NISO=${NISO:-2}
NOT_AFTER=${NOT_AFTER:-1835}
[ "$(date -u +%H%M)" -ge "$NOT_AFTER" ] && { echo "lock came at/after $NOT_AFTER UTC: not run"; exit 3; }
echo "== start $(date -u +%H:%M:%S) mode $MODE after $AFTER"
for t in $BEFORE $AFTER; do  # which per-step modules each tree imports (AFTER: compiled)
  echo "== $t: $(cd $t && PYTHONPATH=$t /work/main/.venv/bin/python -c 'import importlib as i; print(*[i.import_module("vllm_nexus.programs." + m).__file__.rsplit("/", 1)[1] for m in ("charging", "decode_charge", "levels", "preemption", "queues", "request_queue", "sizes", "table", "tenants")])')"
done
if [ "${DIGESTS:-1}" = 1 ]; then
  got=$(bash /work/main/docs/results/sched-overhead-2026-12-03d/trace.sh $AFTER | awk '{print $3}' | tr '\n' ' ')
  echo "== digests after: $got $(date -u +%H:%M:%S)"
  [ "$got" = "764f433c34762f84 931f46020354c8c3 " ] || { echo "digests differ from main's: not measured"; exit 4; }
fi
run() {  # tree running waiting steps [extra args]
  local pp=$AFTER t=$1
  [ "$t" = main ] && pp=$BEFORE
  shift; local r=$1 w=$2 s=$3; shift 3
  echo "== round $ROUND tree $t size $r/$w load $(cut -d' ' -f1-3 /proc/loadavg) $(date -u +%H:%M:%S) $*"
  PYTHONPATH=$pp timeout 240 /work/main/.venv/bin/python $pp/examples/sched_overhead.py --programs 100000 \
    --running $r --waiting $w --steps $s --nexus '{}' "$@" 2>&1 | grep -E "^(running|  )"
}
rounds() {  # count running waiting steps [extra]
  local n=$1; shift
  for ROUND in $(seq 1 $n); do
    if [ $((ROUND % 2)) = 1 ]; then run main "$@"; run new "$@"; else run new "$@"; run main "$@"; fi
  done
}
if [ "$MODE" = main-isolated ]; then  # main only: its production figure (no branch change to compare)
  ROUND=1; run main 64 256 400 --isolated $ISO
elif [ "$MODE" = main-decomp ]; then  # main only, alone: plas, fcfs (bookkeeping only), no proactive preemption
  ROUND=plas; run main 64 256 400 --isolated $ISO
  ROUND=fcfs; run main 64 256 400 --isolated $ISO --policy fcfs
  ROUND=nopre; PYTHONPATH=$BEFORE timeout 240 /work/main/.venv/bin/python $BEFORE/examples/sched_overhead.py --programs 100000 \
    --running 64 --waiting 256 --steps 400 --nexus '{"scheduler": {"preemption": false}}' --isolated $ISO 2>&1 | grep -E "^(running|  )"
elif [ "$MODE" = main-inproc ]; then  # main only, in one process; then the control (stock vs stock)
  for ROUND in $(seq 1 $R64); do run main 64 256 400; done
  ROUND=c; run main 64 256 400 --control
  for ROUND in $(seq 1 $R512); do run main 512 4096 300; done
elif [ "$MODE" = inproc ]; then
  rounds $R64 64 256 400
  rounds $R512 512 4096 300
elif [ "$MODE" = inproc+iso ]; then
  rounds $R64 64 256 400
  rounds $R512 512 4096 300
  rounds $NISO 64 256 400 --isolated $ISO
else
  rounds $NISO 64 256 400 --isolated $ISO
fi
echo "== end $(date -u +%H:%M:%S)"
