#!/bin/bash
# usage: tal.sh TAG REPS  -- one exclusive command: repetition REPS-1 of the real-engine `mixed`
#   throughput-at-latency run that separates program classes from the window: stock, the
#   default without classes, the default with classes named (dcls), class-best with classes
#   named (cb), batch-bound engine. Run from the repository root under the exclusive lock:
#   /work/wt/exclusive timeout 840 bash docs/results/tal-2026-12-04/tal.sh M0 1
cd "$(git -C "$(dirname "$0")" rev-parse --show-toplevel)" || exit 1
export VLLM_NEXUS_PORT_RANGE=8100-8299
if [ "$(date -u +%H%M)" -ge "${TAL_NOT_AFTER:-0235}" ] && [ "$(date -u +%H%M)" -lt 1200 ]; then echo "not started: $(date -u +%H:%M) is past ${TAL_NOT_AFTER:-0235} UTC"; exit 0; fi
tag=$1 reps=$2
echo "=== $tag: mixed N=100 rates 4,10,20,40 reps<$reps stock,default,dcls,cb (batch-bound; classes sent to dcls,cb)"; date -u +"start %H:%M:%S"; cat /proc/loadavg; git log --oneline -1
md5sum /tmp/tal/traces/mixed.jsonl
PYTHONPATH=$PWD timeout -s INT -k 30 ${TAL_LIMIT:-780} /work/main/.venv/bin/python examples/interleaved_replay.py \
  --trace /tmp/tal/traces/mixed.jsonl --programs 100 --rates 4,10,20,40 --reps $reps --schedulers stock,default,dcls,cb \
  --extra 'dcls={}' --extra 'cb={"level_order":"class-best","level_order_min_queue":1}' --send-program-class dcls,cb \
  --engine-args="--max-num-seqs 8 --max-model-len 4096" --out /tmp/tal/runs/mixed-bb-100-sep-2026-12-04
rc=$?; date -u +"end %H:%M:%S rc $rc"; cat /proc/loadavg
