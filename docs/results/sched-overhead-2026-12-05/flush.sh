#!/bin/bash
# flush.sh TREE OUTDIR: the cold-cache test (twenty-first pass): attrib.py --policy fcfs (stock's
# decisions) at 512/4096, 300 steps, plain vs --flush-mib 4 (a 4 MiB buffer written one byte per
# cache line before ours' update_from_output, untimed), alternating, two each.
T=$1; O=$2; cd $T
A=/work/wt/ovh22/docs/results/sched-overhead-2026-12-05/attrib.py
for f in 0 4 4 0; do
  echo "== $(date -u +%H:%M:%S) 512/4096 policy fcfs flush ${f} MiB load $(cut -d' ' -f1-3 /proc/loadavg)"
  PYTHONPATH=$T timeout 300 /work/main/.venv/bin/python $A --running 512 --waiting 4096 --steps 300 --policy fcfs --plain-steps 0 --iwarm 0 --flush-mib $f --json $O/flush-$f-$(date -u +%H%M%S).json 2>&1 | grep -E "^(INSTRUMENTED|corrected|vllm\.|ours\.free |ours\.charge |ours\.update)"
done
echo "== end $(date -u +%H:%M:%S)"
