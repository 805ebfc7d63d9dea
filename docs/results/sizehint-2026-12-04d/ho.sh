#!/bin/bash
# usage: ho.sh PRESET -- held-out seeds 16 and 17 (never used before), run once; two processes
# (one per seed): stock / default (no hints) / default with hints sigma 0.5
# and 1.0 / SRPT oracle, coding-agent, agentic and mixed at the higher preset rate of each
# family (the cells of 2026-12-04c's run.sh). Scheduling code = main 5fbe1cc (this branch
# changes no file under vllm_nexus/programs, vllm_nexus/sim, vllm_nexus/bench nor
# examples/policy_sim.py).
D=$(cd "$(dirname "$0")" && pwd); T=$(cd "$D/../../.." && pwd)
cd "$T"
one() {  # PRESET SEED
  case $1 in
    a100) R='{"coding-agent":[1.6],"agentic":[1.0],"mixed":[1.0]}' ;;
    h100) R='{"coding-agent":[3.2],"agentic":[2.0],"mixed":[2.0]}' ;;
  esac
  ( echo "start $(date -u +%FT%TZ) $1 seed $2 tree $(git rev-parse --short HEAD)"
    PYTHONPATH=$T timeout 800 /work/main/.venv/bin/python examples/policy_sim.py --settings $1 \
      --workloads coding-agent,agentic,mixed --seeds $2 --rates "$R" \
      --schedulers stock,default,oracle --size-hint-sigma 0.5,1 --json "$D/heldout-$1-s$2.jsonl" 2>/dev/null
    echo "end $(date -u +%FT%TZ)" ) > "$D/heldout-$1-s$2.txt"
}
one $1 16 &
one $1 17 &
wait
