#!/bin/bash
# shared lock: the tests touching the scheduler, charging, lineage, tenants and queues, and
# the decision digests (trace.sh), on this worktree ($1, default $PWD)
T=${1:-$PWD}; cd $T
echo "== tests $(date -u +%T) $(git -C $T rev-parse --short HEAD)"
PYTHONPATH=$T timeout 900 /work/main/.venv/bin/pytest -q tests/test_decode_charge.py tests/test_lineage.py \
  tests/test_tenants.py tests/test_program_inference.py tests/test_scheduler.py tests/test_request_queue.py \
  tests/test_policy_queues.py tests/test_relevel_index.py tests/test_preemption_cost.py \
  tests/test_policy_programs.py tests/test_vllm_pins_scheduler.py 2>&1 | tail -4
echo "== digests $(date -u +%T)"
bash $T/docs/results/sched-overhead-2026-12-03d/trace.sh $T 2>&1 | grep -v -E "WARN|Triton|CPU backend|Model Runner|custom scheduler"
echo "== end $(date -u +%T)"
