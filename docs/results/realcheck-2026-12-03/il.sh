#!/bin/bash
# usage: il.sh TAG "family programs rate reps schedulers engine est_s" ...   (all within 680 s)
#   engine: bb = "--max-num-seqs 8 --max-model-len 4096" (batch-bound), kv = the kv-bound preset
#   est_s: expected duration of that spec (servers + warm-ups + replays); skipped if less is left
#   (so no spec is cut mid-way by the command's time limit)
# scheduler "prev" = the defaults before 2026-12-03 (stage_rerank off, starvation_beta 8,
# recompute_ahead better), via --extra; "default" = vllm_nexus with no options.
# Run under the exclusive lock: /work/wt/exclusive timeout 690 ./il.sh TAG SPEC...
cd /work/wt/realcheck || exit 1
export VLLM_NEXUS_PORT_RANGE=8100-8299
tag=$1; shift
# the session's rule: no new exclusive command after 04:50 UTC (a queued one that gets the lock
# later does nothing)
if [ "$(date -u +%H%M)" -ge "${IL_NOT_AFTER:-0450}" ]; then echo "not started: $(date -u +%H:%M) is past ${IL_NOT_AFTER:-0450} UTC"; exit 0; fi
t0=$(date +%s)
for spec in "$@"; do
  set -- $spec
  case $6 in
    bb) eng="--max-num-seqs 8 --max-model-len 4096" ;;
    kv) eng=kv-bound ;;
    *) echo "unknown engine $6"; continue ;;
  esac
  left=$(( 680 - ($(date +%s) - t0) ))
  if [ $left -lt ${7:-200} ]; then echo "skip $spec: ${left}s left"; continue; fi
  echo "=== $spec ($eng)"; date -u +"start %H:%M:%S"; cat /proc/loadavg; git log --oneline -1
  PYTHONPATH=$PWD timeout -s INT -k 30 $left /work/main/.venv/bin/python examples/interleaved_replay.py \
    --trace /tmp/rc/traces/$1.jsonl --programs $2 --rate $3 --reps $4 --schedulers $5 \
    --extra 'prev={"stage_rerank":"off","starvation_beta":8,"recompute_ahead":"better"}' \
    --engine-args="$eng" --out /tmp/rc/runs/$tag-$1-$6-$2-r$3
  rc=$?; date -u +"end %H:%M:%S rc $rc"; cat /proc/loadavg
done
