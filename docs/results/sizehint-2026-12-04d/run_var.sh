#!/bin/bash
# usage: run_var.sh EXP PRESET SEEDS WORKLOADS TAG  (tuning seeds only) -> TAG.jsonl / TAG.txt
# the default without hints and with hints sigma 0.5 / 1.0 under the levelling rule EXP of
# variants.py, at the higher preset rate of each family (stock / oracle rows: run.sh's files).
set -e
D=$(cd "$(dirname "$0")" && pwd); T=$(cd "$D/../../.." && pwd)
E=$1; P=$2; S=$3; W=$4; TAG=$5
case $P in
  a100) R='{"coding-agent":[1.6],"agentic":[1.0],"mixed":[1.0]}' ;;
  h100) R='{"coding-agent":[3.2],"agentic":[2.0],"mixed":[2.0]}' ;;
esac
cd "$T"
echo "start $(date -u +%FT%TZ) EXP=$E $P seeds $S tree $(git rev-parse --short HEAD)"
EXP=$E PYTHONPATH=$T timeout 880 /work/main/.venv/bin/python "$D/variants.py" --settings $P \
  --workloads $W --seeds $S --rates "$R" \
  --schedulers default --size-hint-sigma 0.5,1 --json "$D/$TAG.jsonl" 2>/dev/null
echo "end $(date -u +%FT%TZ)"
