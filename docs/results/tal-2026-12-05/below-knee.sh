#!/bin/bash
# usage: below-knee.sh -- diagnostic (not a target run): agentic seed 53 at 3 programs/s only,
#   stock vs the default vs the default without proactive preemption, 3 repetitions, one
#   exclusive command. From the repo root:
#   /work/wt/exclusive timeout 720 bash docs/results/tal-2026-12-05/below-knee.sh
cd "$(git -C "$(dirname "$0")" rev-parse --show-toplevel)" || exit 1
export VLLM_NEXUS_PORT_RANGE=8100-8299
echo "=== below-knee: agentic seed 53 N=90 rate 3 reps 3 stock,default,nopre"; date -u +"start %H:%M:%S"; cat /proc/loadavg; git log --oneline -1
md5sum /tmp/tal/traces/agentic53.jsonl
PYTHONPATH=$PWD timeout -s INT -k 30 660 /work/main/.venv/bin/python examples/interleaved_replay.py \
  --trace /tmp/tal/traces/agentic53.jsonl --programs 90 --rates 3 --reps 3 --schedulers stock,default,nopre \
  --extra 'nopre={"preemption":false}' --engine-args="--max-num-seqs 8 --max-model-len 4096" \
  --out /tmp/tal/runs/agentic53-below-knee-2026-12-05
rc=$?; date -u +"end %H:%M:%S rc $rc"; cat /proc/loadavg
