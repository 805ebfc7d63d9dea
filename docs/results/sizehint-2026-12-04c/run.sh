#!/bin/bash
# usage: run.sh PRESET SEEDS TAG  -> TAG.jsonl / TAG.txt here (one shared-lock command, < 15 min)
# stock / default (no hints) / default with hints sigma 0.5 and 1.0 / SRPT oracle,
# coding-agent, agentic and mixed at the higher preset rate of each family.
set -e
D=$(cd "$(dirname "$0")" && pwd); T=$(cd "$D/../../.." && pwd)
P=$1; S=$2; TAG=$3
case $P in
  a100) R='{"coding-agent":[1.6],"agentic":[1.0],"mixed":[1.0]}' ;;
  h100) R='{"coding-agent":[3.2],"agentic":[2.0],"mixed":[2.0]}' ;;
esac
cd "$T"
echo "start $(date -u +%FT%TZ) $P seeds $S tree $(git rev-parse --short HEAD)"
PYTHONPATH=$T timeout 880 /work/main/.venv/bin/python examples/policy_sim.py --settings $P \
  --workloads coding-agent,agentic,mixed --seeds $S --rates "$R" \
  --schedulers stock,default,oracle --size-hint-sigma 0.5,1 --json "$D/$TAG.jsonl" 2>/dev/null
echo "end $(date -u +%FT%TZ)"
