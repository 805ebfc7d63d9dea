#!/bin/bash
# block.sh TREE OUTDIR: the alternation test (twenty-first pass): attrib.py plas at 512/4096, 300 timed
# steps per side, alternating every step (--block 1, as the benchmark) vs in blocks of 50 steps per
# side (--block 50: vLLM's shared code and the caches see one scheduler for 50 steps at a time),
# order 1, 50, 50, 1.
T=$1; O=$2; cd $T
A=/work/wt/ovh22/docs/results/sched-overhead-2026-12-05/attrib.py
for k in 1 50 50 1; do
  echo "== $(date -u +%H:%M:%S) 512/4096 policy plas block $k load $(cut -d' ' -f1-3 /proc/loadavg)"
  PYTHONPATH=$T timeout 300 /work/main/.venv/bin/python $A --running 512 --waiting 4096 --steps 300 --policy plas --plain-steps 0 --iwarm 0 --block $k --json $O/block-$k-$(date -u +%H%M%S).json 2>&1 | grep -E "^(INSTRUMENTED|ours in|corrected|vllm\.|gc\.|ours\.free |ours\.prepare\.relevel)"
done
echo "== end $(date -u +%H:%M:%S)"
