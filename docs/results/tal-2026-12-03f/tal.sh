#!/bin/bash
# usage: tal.sh TAG FAMILY PROGRAMS RATES REPS SCHEDULERS ENGINE
#   one exclusive command: examples/interleaved_replay.py --rates RATES --reps REPS on
#   /tmp/tal/runs/FAMILY-ENGINE-NPROGRAMS (runs the repetitions below REPS not yet complete
#   there: --reps K+1 = repetition K alone); ENGINE bb = --max-num-seqs 8 --max-model-len 4096
#   (batch-bound), kv = the kv-bound preset. Scheduler sz = the defaults + preemption_size_check.
#   Runs from the git tree that holds this script; TAL_OUT_SUFFIX names a separate run dir.
# Run under the exclusive lock: /work/wt/exclusive timeout 690 ./tal.sh ...
cd "$(git -C "$(dirname "$0")" rev-parse --show-toplevel)" || exit 1
export VLLM_NEXUS_PORT_RANGE=8500-8699
# the session's rule: no new exclusive measurement after TAL_NOT_AFTER (HHMM, UTC)
if [ "$(date -u +%H%M)" -ge "${TAL_NOT_AFTER:-1800}" ]; then echo "not started: $(date -u +%H:%M) is past ${TAL_NOT_AFTER:-1800} UTC"; exit 0; fi
tag=$1 fam=$2 n=$3 rates=$4 reps=$5 scheds=$6 engine=$7
case $engine in
  bb) eng="--max-num-seqs 8 --max-model-len 4096" ;;
  kv) eng=kv-bound ;;
  *) echo "unknown engine $engine"; exit 2 ;;
esac
echo "=== $tag: $fam N=$n rates $rates reps<$reps $scheds ($eng)"; date -u +"start %H:%M:%S"; cat /proc/loadavg; git log --oneline -1
md5sum /tmp/tal/traces/$fam.jsonl
PYTHONPATH=$PWD timeout -s INT -k 30 ${TAL_LIMIT:-660} /work/main/.venv/bin/python examples/interleaved_replay.py \
  --trace /tmp/tal/traces/$fam.jsonl --programs $n --rates $rates --reps $reps --schedulers $scheds \
  --extra 'sz={"preemption_size_check": true}' --engine-args="$eng" --out /tmp/tal/runs/$fam-$engine-$n${TAL_OUT_SUFFIX:-}
rc=$?; date -u +"end %H:%M:%S rc $rc"; cat /proc/loadavg
