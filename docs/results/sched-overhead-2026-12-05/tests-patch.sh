#!/bin/bash
# tests-patch.sh: the arrival-order patch's own tests (main f48d58b + arrival-order-batch.patch in /tmp/ovh22/arr2)
# (first run, 02:16:29: -k "arrival" over both files selected only the first new test: 1 passed)
cd /tmp/ovh22/arr2 && echo "== $(date -u +%H:%M:%S)" && PYTHONPATH=/tmp/ovh22/arr2 timeout 300 /work/main/.venv/bin/pytest -q -p no:cacheprovider "tests/test_scheduler.py::test_batch_is_handed_to_vllm_in_arrival_order_and_arrivals_are_forgotten" "tests/test_scheduler.py::test_batch_order_is_left_alone_for_a_call_added_before_the_scheduler_was_ready" tests/test_vllm_pins_scheduler.py 2>&1 | grep -E "passed|failed|FAILED|Error" | tail -6; echo "== end $(date -u +%H:%M:%S)"
