#!/bin/bash
# check.sh TREE: decision digests (must be 764f433c34762f84 / 931f46020354c8c3) + the charging tests
T=$1; cd $T
echo "== $(date -u +%H:%M:%S) digests of $T ($(git -C $T log -1 --format=%h 2>/dev/null))"
bash /work/main/docs/results/sched-overhead-2026-12-03d/trace.sh $T
echo "== $(date -u +%H:%M:%S) tests"
PYTHONPATH=$T timeout 600 /work/main/.venv/bin/pytest -q -p no:cacheprovider tests/test_decode_charge.py tests/test_tenants.py tests/test_scheduler.py tests/test_vllm_pins_scheduler.py tests/test_preemption_cost.py 2>&1 | tail -5
echo "== end $(date -u +%H:%M:%S)"
