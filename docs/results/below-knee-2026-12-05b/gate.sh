#!/bin/bash
# usage: gate.sh K -- one repetition (K = 1, 2, 3: runs repetition K-1) of the pre-registered
#   fresh-trace check of `preemption_min_load` (README.md in this directory): agentic seed 59,
#   first 90 programs, rates 3 and 9 programs/s, stock vs main's default vs the default with
#   `preemption_min_load: 1.0` (gate), every server recording its steps. One exclusive command
#   each, from the repo root:
#   /work/wt/exclusive timeout 600 bash docs/results/below-knee-2026-12-05b/gate.sh K
cd "$(git -C "$(dirname "$0")" rev-parse --show-toplevel)" || exit 1
export VLLM_NEXUS_PORT_RANGE=8400-8499
K=${1:?K}
echo "=== gate: agentic seed 59 N=90 rates 3,9 rep $K stock,default,gate --record-steps"; date -u +"start %H:%M:%S"; cat /proc/loadavg; git log --oneline -1; git status --short | head
md5sum /tmp/knee/traces/agentic59.jsonl
PYTHONPATH=$PWD timeout -s INT -k 30 560 /work/main/.venv/bin/python examples/interleaved_replay.py \
  --trace /tmp/knee/traces/agentic59.jsonl --programs 90 --rates 3,9 --reps "$K" --schedulers stock,default,gate \
  --extra 'gate={"preemption_min_load":1.0}' \
  --record-steps --engine-args="--max-num-seqs 8 --max-model-len 4096" --out /tmp/knee/gate59
rc=$?; date -u +"end %H:%M:%S rc $rc"; cat /proc/loadavg
