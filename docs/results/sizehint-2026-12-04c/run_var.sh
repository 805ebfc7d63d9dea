#!/bin/bash
# usage: run_var.sh EXP PRESET SEEDS TAG  (tuning seeds only) -> TAG.jsonl / TAG.txt here
# the default with hints sigma 0.5 / 1.0 under the overrun rule EXP of variants.py;
# coding-agent and agentic (stock / oracle rows come from run.sh's files of the same seeds).
set -e
D=$(cd "$(dirname "$0")" && pwd); T=$(cd "$D/../../.." && pwd)
E=$1; P=$2; S=$3; TAG=$4
case $P in
  a100) R='{"coding-agent":[1.6],"agentic":[1.0]}' ;;
  h100) R='{"coding-agent":[3.2],"agentic":[2.0]}' ;;
esac
cd "$T"
echo "start $(date -u +%FT%TZ) EXP=$E $P seeds $S tree $(git rev-parse --short HEAD)"
EXP=$E PYTHONPATH=$T timeout 880 /work/main/.venv/bin/python "$D/variants.py" --settings $P \
  --workloads coding-agent,agentic --seeds $S --rates "$R" \
  --schedulers default --size-hint-sigma 0.5,1 --json "$D/$TAG.jsonl" 2>/dev/null
echo "end $(date -u +%FT%TZ)"
