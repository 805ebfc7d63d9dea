#!/bin/bash
# usage: il.sh TAG ENGINE_ARGS "family programs rate reps schedulers" ...   (all within 690 s)
# candidate scheduler "remain" = default + stage_rerank remaining (via --extra)
cd /work/wt/policy3
export VLLM_NEXUS_PORT_RANGE=8300-8499
tag=$1; eng=$2; shift 2
t0=$(date +%s)
for spec in "$@"; do
  set -- $spec
  left=$(( 680 - ($(date +%s) - t0) ))
  if [ $left -lt 200 ]; then echo "skip $spec: ${left}s left"; continue; fi
  echo "=== $spec ($eng)"; date -u +"start %H:%M:%S"; cat /proc/loadavg; git log --oneline -1
  PYTHONPATH=$PWD timeout -s INT -k 30 $left /work/main/.venv/bin/python examples/interleaved_replay.py \
    --trace /tmp/p3/traces/$1.jsonl --programs $2 --rate $3 --reps $4 --schedulers ${5:-stock,default,cand} \
    --extra "cand={\"stage_rerank\":\"width\",\"starvation_beta\":32}" \
    --engine-args="$eng" --model /work/wt/policy3/.cache/tiny-model --out /tmp/p3/runs/$tag-$1-$2-r$3
  rc=$?; date -u +"end %H:%M:%S rc $rc"; cat /proc/loadavg
done
