#!/bin/bash
# attrib-scat.sh: attrib.py (21st pass's, + --scatter-alloc) at 512/4096 plas, 300 timed steps,
# plain vs both streams scattered (N 2048), order plain, scat, scat, plain. Run from the scat tree
# (its examples/sched_overhead.py has the ScatterStream; the plain runs do not use it).
O=$1; cd /tmp/ovh23/scat
A=/work/wt/ovh23/docs/results/sched-overhead-2026-12-05b/attrib.py
for k in 0 2048 2048 0; do
  echo "== $(date -u +%H:%M:%S) 512/4096 plas scatter-alloc $k load $(cut -d' ' -f1-3 /proc/loadavg)"
  PYTHONPATH=/tmp/ovh23/scat timeout 300 /work/main/.venv/bin/python $A --running 512 --waiting 4096 --steps 300 --policy plas --plain-steps 0 --iwarm 0 --scatter-alloc $k --json $O/attrib-s$k-$(date -u +%H%M%S).json 2>&1 | grep -E "^(INSTRUMENTED|ours in|corrected|vllm\.|gc\.|queue)"
done
echo "== end $(date -u +%H:%M:%S)"
