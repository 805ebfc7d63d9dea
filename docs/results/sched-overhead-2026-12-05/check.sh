#!/bin/bash
# check.sh TREE [BASE]: the candidate's decision digests: the standard trace (batch in its handed-over
# order: changes with the batch's order by construction) and trace_set.py (batch as a set) on TREE
# and on BASE (main); then the scheduler tests of TREE.
T=$1; B=${2:-/tmp/ovh22/base}; D=/work/wt/ovh22/docs/results/sched-overhead-2026-12-05
echo "== $(date -u +%H:%M:%S) standard digests of $T"
bash /work/main/docs/results/sched-overhead-2026-12-03d/trace.sh $T
for tree in $B $T; do
  echo "== $(date -u +%H:%M:%S) batch-as-set digests of $tree"
  cd $tree
  for sz in "64 256 400" "512 4096 200"; do set -- $sz
    PYTHONPATH=$tree timeout 300 /work/main/.venv/bin/python $D/trace_set.py --running $1 --waiting $2 --steps $3 2>&1 | tail -1
  done
done
echo "== $(date -u +%H:%M:%S) tests"
cd $T && PYTHONPATH=$T timeout 600 /work/main/.venv/bin/pytest -q -p no:cacheprovider tests/test_scheduler.py tests/test_vllm_pins_scheduler.py tests/test_decode_charge.py tests/test_tenants.py 2>&1 | tail -3
echo "== end $(date -u +%H:%M:%S)"
