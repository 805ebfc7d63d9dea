#!/bin/bash
# usage: il.sh TAG ENGINE_ARGS "family programs rate reps" ...   (all within 500 s)
cd /work/wt/stages2
export VLLM_NEXUS_PORT_RANGE=8200-8299
tag=$1; eng=$2; shift 2
t0=$(date +%s)
for spec in "$@"; do
  set -- $spec
  left=$(( 500 - ($(date +%s) - t0) ))
  if [ $left -lt 200 ]; then echo "skip $spec: ${left}s left"; continue; fi
  echo "=== $spec ($eng)"; date -u +"start %H:%M:%S"; cat /proc/loadavg
  PYTHONPATH=$PWD timeout -s INT -k 60 $left /work/main/.venv/bin/python examples/interleaved_replay.py \
    --trace /tmp/stg2/traces/$1.jsonl --programs $2 --rate $3 --reps $4 --schedulers ${5:-stock,default,stages} \
    --engine-args="$eng" --model /work/wt/stages2/.cache/tiny-model --out /tmp/stg2/runs/$tag-$1-$2-r$3
  rc=$?; date -u +"end %H:%M:%S rc $rc"; cat /proc/loadavg
done
