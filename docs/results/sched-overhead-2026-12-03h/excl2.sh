#!/bin/bash
# 2026-12-03 (h), exclusive command 2 of 2 (from the worktree root):
#   BEFORE=/tmp/ovh14/base AFTER=/tmp/ovh14/new GCP=/tmp/ovh14/gcp /work/wt/exclusive timeout 600 bash docs/results/sched-overhead-2026-12-03h/excl2.sh
# 1. the collector at 100k programs (gcheap.py: 100k programs through add_request, EngineCore's
#    freeze; full collection = gc.collect(), median of 5): main; this branch right after the
#    fill (~50 s: nothing idle for a minute yet); this branch with the clock 61 s ahead and
#    the cold programs packed (steady state); stock vLLM.
# 2. 64/256 (examples/sched_overhead.py, 100k programs, defaults) main / gcpause (the merged
#    branch measured in (g), $GCP) / this branch, 4 rounds, the order permuted each round:
#    is gcpause's (g) cost there in this window?
BEFORE=${BEFORE:?}; AFTER=${AFTER:?}; GCP=${GCP:?}
NOT_AFTER=${NOT_AFTER:-2345}
[ "$(date -u +%H%M)" -gt "$NOT_AFTER" ] && { echo "lock came after $NOT_AFTER UTC: not run"; exit 3; }
R=docs/results/sched-overhead-2026-12-03h
PY=/work/main/.venv/bin/python
FILTER="WARN|Triton|CPU backend|Model Runner|custom scheduler"
echo "== start $(date -u +%T) before=$(cat $BEFORE/COMMIT) after=$(cat $AFTER/COMMIT) gcp=$(cat $GCP/COMMIT)"
gch() {  # label tree args...
  local label=$1 T=$2; shift 2
  echo "== gcheap $label $(date -u +%T) load $(cut -d' ' -f1-3 /proc/loadavg)"
  (cd $T && PYTHONPATH=$T timeout 150 $PY $AFTER/$R/gcheap.py --steps 300 "$@" 2>&1 | grep -v -E "$FILTER")
}
gch main $BEFORE
gch new-fresh $AFTER
gch new-aged $AFTER --age 61
gch stock $AFTER --stock
ORDERS=("main gcp new" "new gcp main" "gcp new main" "main new gcp")
for ROUND in 1 2 3 4; do
  for t in ${ORDERS[$((ROUND - 1))]}; do
    pp=$AFTER; [ $t = main ] && pp=$BEFORE; [ $t = gcp ] && pp=$GCP
    echo "== round $ROUND tree $t size 64/256 load $(cut -d' ' -f1-3 /proc/loadavg) $(date -u +%H:%M:%S)"
    PYTHONPATH=$pp timeout 120 $PY $AFTER/examples/sched_overhead.py --programs 100000 \
      --running 64 --waiting 256 --steps 400 --nexus '{}' 2>&1 | grep -E "^(running|  )"
  done
done
echo "== end $(date -u +%T)"
