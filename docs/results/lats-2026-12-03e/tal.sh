#!/bin/bash
# usage: tal.sh TAG REPS
#   One exclusive command: examples/interleaved_replay.py on the 40-program lats seed-11 trace,
#   batch-bound (--max-num-seqs 8 --max-model-len 4096), rates 1,3,5,8, schedulers stock,sz
#   (sz = the defaults + preemption_size_check: true); --reps K+1 on the same --out runs
#   repetition K alone. Adapted from docs/results/latspre-2026-12-03d/tal.sh (this worktree,
#   ports 8300-8499, own --out, cut-off 14:30 UTC).
# Run under the exclusive lock: /work/wt/exclusive timeout 690 docs/results/lats-2026-12-03e/tal.sh ...
cd /work/wt/latssize || exit 1
export VLLM_NEXUS_PORT_RANGE=8300-8499
if [ "$(date -u +%H%M)" -ge "${TAL_NOT_AFTER:-1430}" ]; then echo "not started: $(date -u +%H:%M) is past ${TAL_NOT_AFTER:-1430} UTC"; exit 0; fi
tag=$1 reps=$2
echo "=== $tag: lats N=40 rates 1,3,5,8 reps<$reps stock,sz"; date -u +"start %H:%M:%S"; cat /proc/loadavg; git log --oneline -1
md5sum /tmp/tal/traces/lats.jsonl
PYTHONPATH=$PWD timeout -s INT -k 30 ${TAL_LIMIT:-660} /work/main/.venv/bin/python examples/interleaved_replay.py \
  --trace /tmp/tal/traces/lats.jsonl --programs 40 --rates 1,3,5,8 --reps $reps --schedulers stock,sz \
  --extra 'sz={"preemption_size_check": true}' --engine-args="--max-num-seqs 8 --max-model-len 4096" \
  --out /tmp/tal/runs/lats-bb-40-sz
rc=$?; date -u +"end %H:%M:%S rc $rc"; cat /proc/loadavg
