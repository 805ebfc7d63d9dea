#!/bin/bash
# usage: tal-agentic.sh TAG REPS  -- one exclusive command: repetition REPS-1 of the real-engine
#   `agentic` throughput-at-latency run on the fresh seed-53 trace, stock vs the default,
#   batch-bound engine, N=90, rates 1,3,9 (the 2026-12-03 (e) protocol). From the repo root:
#   /work/wt/exclusive timeout 720 bash docs/results/tal-2026-12-05/tal-agentic.sh A0 1
cd "$(git -C "$(dirname "$0")" rev-parse --show-toplevel)" || exit 1
export VLLM_NEXUS_PORT_RANGE=8100-8299
if [ "$(date -u +%H%M)" -ge "${TAL_NOT_AFTER:-0330}" ]; then echo "not started: $(date -u +%H:%M) is past ${TAL_NOT_AFTER:-0330} UTC"; exit 0; fi
tag=$1 reps=$2
echo "=== $tag: agentic seed 53 N=90 rates 1,3,9 reps<$reps stock,default (batch-bound)"; date -u +"start %H:%M:%S"; cat /proc/loadavg; git log --oneline -1
md5sum /tmp/tal/traces/agentic53.jsonl
PYTHONPATH=$PWD timeout -s INT -k 30 ${TAL_LIMIT:-680} /work/main/.venv/bin/python examples/interleaved_replay.py \
  --trace /tmp/tal/traces/agentic53.jsonl --programs 90 --rates 1,3,9 --reps $reps --schedulers stock,default \
  --engine-args="--max-num-seqs 8 --max-model-len 4096" --out ${TAL_OUT:-/tmp/tal/runs/agentic53-bb-90-2026-12-05}
rc=$?; date -u +"end %H:%M:%S rc $rc"; cat /proc/loadavg
