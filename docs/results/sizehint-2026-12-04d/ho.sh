#!/bin/bash
# usage: ho.sh PRESET  -- held-out seeds 16 and 17 (never used before), run once, two
# processes (one per seed): stock / default (no hints) / default with hints sigma 0.5 and 1.0
# / SRPT oracle, coding-agent, agentic and mixed at the higher preset rate of each family
# (the cells of 2026-12-04c's run.sh). Scheduling code = main 5fbe1cc (this branch changes no
# file under vllm_nexus/programs, vllm_nexus/sim, vllm_nexus/bench nor examples/policy_sim.py).
D=$(cd "$(dirname "$0")" && pwd); T=$(cd "$D/../../.." && pwd)
P=$1
case $P in
  a100) R='{"coding-agent":[1.6],"agentic":[1.0],"mixed":[1.0]}' ;;
  h100) R='{"coding-agent":[3.2],"agentic":[2.0],"mixed":[2.0]}' ;;
esac
cd "$T"
for S in 16 17; do
  ( echo "start $(date -u +%FT%TZ) $P seed $S tree $(git rev-parse --short HEAD)"
    PYTHONPATH=$T timeout 880 /work/main/.venv/bin/python examples/policy_sim.py --settings $P \
      --workloads coding-agent,agentic,mixed --seeds $S --rates "$R" \
      --schedulers stock,default,oracle --size-hint-sigma 0.5,1 --json "$D/heldout-$P-s$S.jsonl" 2>/dev/null
    echo "end $(date -u +%FT%TZ)" ) > "$D/heldout-$P-s$S.txt" &
done
wait
