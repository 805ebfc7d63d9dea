#!/bin/bash
# usage: tal.sh TAG REPS  -- one exclusive command: repetition REPS-1 of the real-engine
#   `map-reduce` throughput-at-latency run on the fresh seed-41 trace, stock vs the default,
#   batch-bound engine, rates 3,6,12,24 (the 2026-12-03 (d) protocol). From the repo root:
#   /work/wt/exclusive timeout 720 bash docs/results/tal-2026-12-04f/tal.sh M0 1
cd "$(git -C "$(dirname "$0")" rev-parse --show-toplevel)" || exit 1
export VLLM_NEXUS_PORT_RANGE=8100-8299
if [ "$(date -u +%H%M)" -ge "${TAL_NOT_AFTER:-2150}" ]; then echo "not started: $(date -u +%H:%M) is past ${TAL_NOT_AFTER:-2150} UTC"; exit 0; fi
tag=$1 reps=$2
echo "=== $tag: map-reduce seed 41 N=150 rates 3,6,12,24 reps<$reps stock,default (batch-bound)"; date -u +"start %H:%M:%S"; cat /proc/loadavg; git log --oneline -1
md5sum /tmp/tal/traces/map-reduce41.jsonl
PYTHONPATH=$PWD timeout -s INT -k 30 ${TAL_LIMIT:-680} /work/main/.venv/bin/python examples/interleaved_replay.py \
  --trace /tmp/tal/traces/map-reduce41.jsonl --programs 150 --rates 3,6,12,24 --reps $reps --schedulers stock,default \
  --engine-args="--max-num-seqs 8 --max-model-len 4096" --out ${TAL_OUT:-/tmp/tal/runs/map-reduce41-bb-150-2026-12-04f}
rc=$?; date -u +"end %H:%M:%S rc $rc"; cat /proc/loadavg
