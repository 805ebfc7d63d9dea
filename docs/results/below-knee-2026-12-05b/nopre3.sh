#!/bin/bash
# usage: nopre3.sh OUT -- diagnostic (not a target run; the seed-53 trace is tuning data now):
#   agentic seed 53, first 90 programs, at 3 programs/s, stock vs the default vs the default with `preemption: false`, 3 interleaved
#   repetitions, every server recording its engine steps (--record-steps: composition,
#   prefix-cache hits of new requests, resumed, waiting, running), vLLM's prefix-cache counters
#   per replay. One exclusive command, from the repo root:
#   /work/wt/exclusive timeout 600 bash docs/results/below-knee-2026-12-05b/nopre3.sh /tmp/knee/nopre3
cd "$(git -C "$(dirname "$0")" rev-parse --show-toplevel)" || exit 1
export VLLM_NEXUS_PORT_RANGE=8400-8499
OUT=${1:?OUT}
echo "=== nopre3: agentic seed 53 N=90 rate 3 reps 3 stock,default,nopre --record-steps"; date -u +"start %H:%M:%S"; cat /proc/loadavg; git log --oneline -1
md5sum /tmp/tal/traces/agentic53.jsonl
PYTHONPATH=$PWD timeout -s INT -k 30 570 /work/main/.venv/bin/python examples/interleaved_replay.py \
  --trace /tmp/tal/traces/agentic53.jsonl --programs 90 --rates 3 --reps 3 --schedulers stock,default,nopre --extra 'nopre={"preemption":false}' \
  --record-steps --engine-args="--max-num-seqs 8 --max-model-len 4096" --out "$OUT"
rc=$?; date -u +"end %H:%M:%S rc $rc"; cat /proc/loadavg
