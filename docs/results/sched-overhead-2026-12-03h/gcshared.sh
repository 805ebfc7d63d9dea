#!/bin/bash
# The collector at 100k programs under the SHARED lock (indicative: the exclusive command meant
# for it, excl2.sh, ran gcheap.py from $AFTER, a tree archived before the script was
# committed, so its gcheap part failed; only its 64/256 rounds ran). From the worktree root:
#   BEFORE=/tmp/ovh14/base AFTER=/tmp/ovh14/new /work/wt/shared bash docs/results/sched-overhead-2026-12-03h/gcshared.sh
BEFORE=${BEFORE:?}; AFTER=${AFTER:?}
W=$PWD; R=docs/results/sched-overhead-2026-12-03h
PY=/work/main/.venv/bin/python
FILTER="WARN|Triton|CPU backend|Model Runner|custom scheduler"
echo "== start $(date -u +%T) before=$(cat $BEFORE/COMMIT) after=$(cat $AFTER/COMMIT)"
gch() {  # label tree args...
  local label=$1 T=$2; shift 2
  echo "== gcheap $label $(date -u +%T) load $(cut -d' ' -f1-3 /proc/loadavg)"
  (cd $T && PYTHONPATH=$T timeout 200 $PY $W/$R/gcheap.py --steps 300 "$@" 2>&1 | grep -v -E "$FILTER")
}
gch main $BEFORE
gch new-aged $AFTER --age 61
gch stock $AFTER --stock
gch new-fresh $AFTER
echo "== end $(date -u +%T)"
