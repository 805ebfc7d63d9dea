#!/bin/bash
# usage: tal.sh TAG REPS  -- one exclusive command: repetition REPS-1 of the real-engine
#   `coding-agent` throughput-at-latency run on the fresh seed-35 trace, stock vs the default
#   (no classes named), batch-bound engine, rates 2,12,24 (the 2026-12-03 (e) protocol).
#   From the repo root:
#   /work/wt/exclusive timeout 720 bash docs/results/tal-2026-12-04e/tal.sh G0 1
#   (TAL_OUT=DIR: another run directory, e.g. the diagnostic repetition D0)
cd "$(git -C "$(dirname "$0")" rev-parse --show-toplevel)" || exit 1
export VLLM_NEXUS_PORT_RANGE=8100-8299
if [ "$(date -u +%H%M)" -ge "${TAL_NOT_AFTER:-1835}" ]; then echo "not started: $(date -u +%H:%M) is past ${TAL_NOT_AFTER:-1835} UTC"; exit 0; fi
tag=$1 reps=$2
echo "=== $tag: coding-agent seed 35 N=200 rates 2,12,24 reps<$reps stock,default (batch-bound)"; date -u +"start %H:%M:%S"; cat /proc/loadavg; git log --oneline -1
md5sum /tmp/tal/traces/coding-agent35.jsonl
PYTHONPATH=$PWD timeout -s INT -k 30 ${TAL_LIMIT:-680} /work/main/.venv/bin/python examples/interleaved_replay.py \
  --trace /tmp/tal/traces/coding-agent35.jsonl --programs 200 --rates 2,12,24 --reps $reps --schedulers stock,default \
  --engine-args="--max-num-seqs 8 --max-model-len 4096" --out ${TAL_OUT:-/tmp/tal/runs/coding-agent35-bb-200-2026-12-04e}
rc=$?; date -u +"end %H:%M:%S rc $rc"; cat /proc/loadavg
