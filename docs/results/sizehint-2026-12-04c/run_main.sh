#!/bin/bash
# usage: run_main.sh PRESET SEED TAG: the default (no hints) from /work/main's tree (without
# this branch), the same cells as run.sh: its figures must equal this branch's `default` rows.
set -e
D=$(cd "$(dirname "$0")" && pwd)
P=$1; S=$2; TAG=$3
case $P in
  a100) R='{"coding-agent":[1.6],"agentic":[1.0],"mixed":[1.0]}' ;;
  h100) R='{"coding-agent":[3.2],"agentic":[2.0],"mixed":[2.0]}' ;;
esac
cd /work/main
echo "start $(date -u +%FT%TZ) main $P seed $S tree $(git rev-parse --short HEAD)"
PYTHONPATH=/work/main timeout 880 /work/main/.venv/bin/python examples/policy_sim.py --settings $P \
  --workloads coding-agent,agentic,mixed --seeds $S --rates "$R" \
  --schedulers default --json "$D/$TAG.jsonl" 2>/dev/null
echo "end $(date -u +%FT%TZ)"
