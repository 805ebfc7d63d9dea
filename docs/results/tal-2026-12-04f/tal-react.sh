#!/bin/bash
# usage: tal-react.sh TAG REPS  -- one exclusive command: repetition REPS-1 of the real-engine
#   `react` throughput-at-latency run on the fresh seed-43 trace, stock vs the default,
#   batch-bound engine, rates 8,24,48,96 (the 2026-12-03 (d) protocol). From the repo root:
#   /work/wt/exclusive timeout 720 bash docs/results/tal-2026-12-04f/tal-react.sh R0 1
cd "$(git -C "$(dirname "$0")" rev-parse --show-toplevel)" || exit 1
export VLLM_NEXUS_PORT_RANGE=8100-8299
if [ "$(date -u +%H%M)" -ge "${TAL_NOT_AFTER:-2135}" ]; then echo "not started: $(date -u +%H:%M) is past ${TAL_NOT_AFTER:-2135} UTC"; exit 0; fi
tag=$1 reps=$2
echo "=== $tag: react seed 43 N=300 rates 8,24,48,96 reps<$reps stock,default (batch-bound)"; date -u +"start %H:%M:%S"; cat /proc/loadavg; git log --oneline -1
md5sum /tmp/tal/traces/react43.jsonl
PYTHONPATH=$PWD timeout -s INT -k 30 ${TAL_LIMIT:-680} /work/main/.venv/bin/python examples/interleaved_replay.py \
  --trace /tmp/tal/traces/react43.jsonl --programs 300 --rates 8,24,48,96 --reps $reps --schedulers stock,default \
  --engine-args="--max-num-seqs 8 --max-model-len 4096" --out ${TAL_OUT:-/tmp/tal/runs/react43-bb-300-2026-12-04f}
rc=$?; date -u +"end %H:%M:%S rc $rc"; cat /proc/loadavg
