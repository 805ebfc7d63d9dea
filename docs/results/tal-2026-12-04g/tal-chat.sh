#!/bin/bash
# usage: tal-chat.sh TAG REPS  -- one exclusive command: repetition REPS-1 of the real-engine
#   `chat` throughput-at-latency run on the fresh seed-47 trace, stock vs the default,
#   batch-bound engine, rates 2,8,24 (the 2026-12-03 (e) protocol). From the repo root:
#   /work/wt/exclusive timeout 720 bash docs/results/tal-2026-12-04g/tal-chat.sh C0 1
cd "$(git -C "$(dirname "$0")" rev-parse --show-toplevel)" || exit 1
export VLLM_NEXUS_PORT_RANGE=8100-8299
if [ "$(date -u +%H%M)" -ge "${TAL_NOT_AFTER:-0050}" ] && [ "$(date -u +%H)" = "00" ]; then echo "not started: $(date -u +%H:%M) is past ${TAL_NOT_AFTER:-0050} UTC"; exit 0; fi
tag=$1 reps=$2
echo "=== $tag: chat seed 47 N=200 rates 2,8,24 reps<$reps stock,default (batch-bound)"; date -u +"start %H:%M:%S"; cat /proc/loadavg; git log --oneline -1
md5sum /tmp/tal/traces/chat47.jsonl
PYTHONPATH=$PWD timeout -s INT -k 30 ${TAL_LIMIT:-680} /work/main/.venv/bin/python examples/interleaved_replay.py \
  --trace /tmp/tal/traces/chat47.jsonl --programs 200 --rates 2,8,24 --reps $reps --schedulers stock,default \
  --engine-args="--max-num-seqs 8 --max-model-len 4096" --out ${TAL_OUT:-/tmp/tal/runs/chat47-bb-200-2026-12-04g}
rc=$?; date -u +"end %H:%M:%S rc $rc"; cat /proc/loadavg
