#!/bin/bash
# shared lock: profiles. py-spy at 64/256 on the branch copy ($AFTER), the collector probe at
# 512/4096 on the main copy ($BEFORE), py-spy at 512/4096 on both
R=docs/results/sched-overhead-2026-12-03f
echo "== spy 64/256 after $(date -u +%T)"
bash $AFTER/$R/spy.sh $AFTER /tmp/ovh16-spy-after plas fcfs > $AFTER/../spy-after.txt 2>&1
for m in engine freeze off; do
  echo "== gcprobe before $m $(date -u +%T)"
  PYTHONPATH=$BEFORE timeout 600 /work/main/.venv/bin/python $BEFORE/$R/gcprobe.py --mode $m 2>&1 | grep -v -E "WARN|Triton|CPU backend|Model Runner|custom scheduler"
done
echo "== gcprobe after as-is $(date -u +%T)"
PYTHONPATH=$AFTER timeout 600 /work/main/.venv/bin/python $AFTER/$R/gcprobe.py --mode as-is 2>&1 | grep -v -E "WARN|Triton|CPU backend|Model Runner|custom scheduler"
echo "== spy 512/4096 before, after $(date -u +%T)"
STEPS=1200 RUNNING=512 WAITING=4096 bash $BEFORE/$R/spy.sh $BEFORE /tmp/ovh16-spy-before512 plas fcfs > $AFTER/../spy-before-512.txt 2>&1
STEPS=1200 RUNNING=512 WAITING=4096 bash $AFTER/$R/spy.sh $AFTER /tmp/ovh16-spy-after512 plas > $AFTER/../spy-after-512.txt 2>&1
echo "== end $(date -u +%T)"
