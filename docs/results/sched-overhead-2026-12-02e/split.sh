#!/bin/bash
cd "$(dirname "$0")/../../.."  # repository root; BEFORE: a copy of main at 8e68478
echo "== tests $(date -u +%H:%M:%S)"
PYTHONPATH=$PWD /work/main/.venv/bin/pytest -q -m "not engine" -p no:cacheprovider 2>&1 | tail -3
echo "== splits $(date -u +%H:%M:%S)"
if [ "$(date -u +%H%M)" -ge 1458 ]; then echo "past 14:58 UTC: splits skipped"; exit 0; fi
for t in before after; do
  pp=$BEFORE; [ $t = after ] && pp=$PWD
  echo "== split 64/256 $t load $(cut -d' ' -f1 /proc/loadavg) $(date -u +%H:%M:%S)"
  PYTHONPATH=$pp /work/main/.venv/bin/python docs/results/sched-overhead-2026-12-02e/split.py --detail --steps 600 2>&1 | grep -v -i "triton\|block_size\|SSM\|Model Runner\|custom scheduler"
done
for n in '{}' '{"scheduler":{"preemption":false}}'; do
  echo "== split 512/4096 after nexus=$n load $(cut -d' ' -f1 /proc/loadavg) $(date -u +%H:%M:%S)"
  PYTHONPATH=$PWD /work/main/.venv/bin/python docs/results/sched-overhead-2026-12-02e/split.py --running 512 --waiting 4096 --steps 200 --nexus "$n" 2>&1 | grep -v -i "triton\|block_size\|SSM\|Model Runner\|custom scheduler"
done
echo "== end $(date -u +%H:%M:%S)"
