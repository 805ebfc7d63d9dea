#!/bin/bash
# gctest.sh TREE OUTDIR: the collector test (twenty-first pass): attrib.py plas at 512/4096 (300 steps),
# with the collector on (as the benchmark) and off (gc.collect() then gc.disable() after the warm-up),
# alternating, two each; then plas and fcfs at 512/4096 with it off.
T=$1; O=$2; cd $T
A=/work/wt/ovh22/docs/results/sched-overhead-2026-12-05/attrib.py
for v in "plas on" "plas off" "plas off" "plas on" "fcfs off"; do set -- $v
  g=(); [ $2 = off ] && g=(--no-gc)
  echo "== $(date -u +%H:%M:%S) 512/4096 policy $1 gc $2 load $(cut -d' ' -f1-3 /proc/loadavg)"
  PYTHONPATH=$T timeout 300 /work/main/.venv/bin/python $A --running 512 --waiting 4096 --steps 300 --policy $1 --plain-steps 0 --iwarm 0 "${g[@]}" --json $O/gc-$1-$2-$(date -u +%H%M%S).json 2>&1 | grep -E "^(INSTRUMENTED|ours in|corrected|vllm\.|gc\.|ours\.free |ours\.prepare\.relevel)"
done
echo "== end $(date -u +%H:%M:%S)"
