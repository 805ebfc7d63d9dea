#!/bin/bash
# usage: tal.sh TAG REPS  -- one exclusive command: repetition REPS-1 of the real-engine `mixed`
#   throughput-at-latency run, stock vs the default (no classes named), batch-bound engine,
#   rates 4,10,20,30,40, servers at autogroup nice 10 (launcher, 5b4f0b5). From the repo root:
#   /work/wt/exclusive timeout 1200 bash docs/results/tal-2026-12-04d/tal.sh F0 1
cd "$(git -C "$(dirname "$0")" rev-parse --show-toplevel)" || exit 1
export VLLM_NEXUS_PORT_RANGE=8100-8299
if [ "$(date -u +%H%M)" -ge "${TAL_NOT_AFTER:-1525}" ]; then echo "not started: $(date -u +%H:%M) is past ${TAL_NOT_AFTER:-1525} UTC"; exit 0; fi
tag=$1 reps=$2
echo "=== $tag: mixed seed 29 N=128 rates 4,10,20,30,40 reps<$reps stock,default (batch-bound)"; date -u +"start %H:%M:%S"; cat /proc/loadavg; git log --oneline -1
md5sum /tmp/tal/traces/mixed29.jsonl
PYTHONPATH=$PWD timeout -s INT -k 30 ${TAL_LIMIT:-1140} /work/main/.venv/bin/python examples/interleaved_replay.py \
  --trace /tmp/tal/traces/mixed29.jsonl --programs 128 --rates 4,10,20,30,40 --reps $reps --schedulers stock,default \
  --engine-args="--max-num-seqs 8 --max-model-len 4096" --out /tmp/tal/runs/mixed29-bb-128-2026-12-04d
rc=$?; date -u +"end %H:%M:%S rc $rc"; cat /proc/loadavg
