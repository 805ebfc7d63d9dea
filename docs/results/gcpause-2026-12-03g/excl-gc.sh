#!/bin/bash
# exclusive lock: the collector at 100k programs, before ($BEFORE = git archive 33551a3) and
# after ($AFTER = git archive of this branch): gcheap.py (full collection, tracked objects per
# program), then the twelfth pass's gcprobe.py --mode engine (collections inside timed steps)
R=docs/results/gcpause-2026-12-03g
F=docs/results/sched-overhead-2026-12-03f
PY=/work/main/.venv/bin/python
FILTER="WARN|Triton|CPU backend|Model Runner|custom scheduler"
for side in BEFORE AFTER; do
  T=${!side}; echo "== gcheap $side $(date -u +%T)"
  (cd $T && PYTHONPATH=$T timeout 200 $PY $AFTER/$R/gcheap.py 2>&1 | grep -v -E "$FILTER")
done
echo "== gcheap stock $(date -u +%T)"
(cd $AFTER && PYTHONPATH=$AFTER timeout 200 $PY $AFTER/$R/gcheap.py --stock 2>&1 | grep -v -E "$FILTER")
for side in BEFORE AFTER; do
  T=${!side}; echo "== gcprobe engine $side $(date -u +%T)"
  (cd $T && PYTHONPATH=$T timeout 150 $PY $T/$F/gcprobe.py --mode engine 2>&1 | grep -v -E "$FILTER")
done
echo "== end $(date -u +%T)"
