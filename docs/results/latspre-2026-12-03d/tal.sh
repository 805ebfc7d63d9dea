#!/bin/bash
# usage: tal.sh TAG REPS SCHEDULERS CAND_JSON_FILE
#   One exclusive command: examples/interleaved_replay.py on the 40-program lats seed-11 trace,
#   batch-bound (--max-num-seqs 8 --max-model-len 4096), rates 1,3,5,8; --reps K+1 on the same
#   --out runs repetition K alone. Scheduler `cand` = the defaults + the scheduler section read
#   from CAND_JSON_FILE when the command starts (printed below, so the log records it).
#   Adapted from docs/results/tal-2026-12-03c/tal.sh (worktree, ports, cut-off).
# Run under the exclusive lock: /work/wt/exclusive timeout 690 ./tal.sh ...
cd /work/wt/latspre || exit 1
export VLLM_NEXUS_PORT_RANGE=8300-8499
if [ "$(date -u +%H%M)" -ge "${TAL_NOT_AFTER:-1130}" ]; then echo "not started: $(date -u +%H:%M) is past ${TAL_NOT_AFTER:-1130} UTC"; exit 0; fi
tag=$1 reps=$2 scheds=$3 cand=$(cat "$4")
echo "=== $tag: lats N=40 rates 1,3,5,8 reps<$reps $scheds cand=$cand"; date -u +"start %H:%M:%S"; cat /proc/loadavg; git log --oneline -1
PYTHONPATH=$PWD timeout -s INT -k 30 ${TAL_LIMIT:-660} /work/main/.venv/bin/python examples/interleaved_replay.py \
  --trace /tmp/tal/traces/lats.jsonl --programs 40 --rates 1,3,5,8 --reps $reps --schedulers $scheds \
  --extra "cand=$cand" --engine-args="--max-num-seqs 8 --max-model-len 4096" --out /tmp/latspre/runs/lats-bb-40
rc=$?; date -u +"end %H:%M:%S rc $rc"; cat /proc/loadavg
