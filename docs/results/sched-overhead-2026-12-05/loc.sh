#!/bin/bash
# loc.sh TREE OUTDIR: the locality test (twenty-first pass): attrib.py at 512/4096 (300 steps),
# vLLM's update loop with the scheduled calls handed over in schedule order (as is), in admission
# order (ours), or shuffled (stock); two rounds, interleaved.
T=$1; O=$2; cd $T
A=/work/wt/ovh22/docs/results/sched-overhead-2026-12-05/attrib.py
for rnd in 1 2; do
for v in "plas none none" "plas admission none" "plas none shuffle" "fcfs shuffle none"; do set -- $v
  echo "== $(date -u +%H:%M:%S) round $rnd 512/4096 policy $1 reorder-ours $2 reorder-stock $3 load $(cut -d' ' -f1-3 /proc/loadavg)"
  PYTHONPATH=$T timeout 300 /work/main/.venv/bin/python $A --running 512 --waiting 4096 --steps 300 --policy $1 --plain-steps 0 --iwarm 0 --reorder-ours $2 --reorder-stock $3 --json $O/loc-$rnd-$1-$2-$3.json 2>&1 | grep -v "^CPU\|^Reset\|Triton\|^Model\|^Using" | grep -E "^(INSTRUMENTED|calib|ours in|corrected|vllm.update.loop|vllm.sched|label)"
done; done
echo "== end $(date -u +%H:%M:%S)"
