#!/bin/bash
# usage: tal.sh TAG REPS  -- one exclusive command: repetition REPS-1 of the real-engine `mixed`
#   throughput-at-latency check of `level_order: class-best` (burst-2026-12-03h round 4),
#   batch-bound engine, the client naming each program's class (--send-program-class) for
#   every server. Run from the repository root under the exclusive lock:
#   /work/wt/exclusive timeout 690 bash docs/results/tal-2026-12-03h/tal.sh M0 1
cd "$(git -C "$(dirname "$0")" rev-parse --show-toplevel)" || exit 1
export VLLM_NEXUS_PORT_RANGE=8100-8299
if [ "$(date -u +%H%M)" -ge "${TAL_NOT_AFTER:-0030}" ] && [ "$(date -u +%H%M)" -lt 1200 ]; then echo "not started: $(date -u +%H:%M) is past ${TAL_NOT_AFTER:-0030} UTC"; exit 0; fi
tag=$1 reps=$2
echo "=== $tag: mixed N=100 rates 4,10,20,40 reps<$reps stock,default,cb (batch-bound, --send-program-class)"; date -u +"start %H:%M:%S"; cat /proc/loadavg; git log --oneline -1
md5sum /tmp/tal/traces/mixed.jsonl
PYTHONPATH=$PWD timeout -s INT -k 30 ${TAL_LIMIT:-660} /work/main/.venv/bin/python examples/interleaved_replay.py \
  --trace /tmp/tal/traces/mixed.jsonl --programs 100 --rates 4,10,20,40 --reps $reps --schedulers stock,default,cb \
  --extra 'cb={"level_order":"class-best","level_order_min_queue":1}' --send-program-class \
  --engine-args="--max-num-seqs 8 --max-model-len 4096" --out /tmp/tal/runs/mixed-bb-100-cls-h
rc=$?; date -u +"end %H:%M:%S rc $rc"; cat /proc/loadavg
