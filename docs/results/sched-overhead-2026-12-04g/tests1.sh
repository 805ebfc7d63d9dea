#!/bin/bash
cd /work/wt/ovh21
echo "== $(date -u +%H:%M:%S) $(git log -1 --format=%h)"
PYTHONPATH=$PWD timeout 600 /work/main/.venv/bin/pytest -q -p no:cacheprovider tests/test_decode_charge.py tests/test_preemption_cost.py tests/test_policy_queues.py tests/test_preemption_sizes.py tests/test_tenants.py tests/test_scheduler.py tests/test_vllm_pins_scheduler.py 2>&1 | tail -6
echo "== end $(date -u +%H:%M:%S)"
