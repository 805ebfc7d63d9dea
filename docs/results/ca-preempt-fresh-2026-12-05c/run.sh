#!/bin/bash
# Fresh-seed repeat of ../ca-preempt-2026-12-05c (coding-agent seed 5281, never used before,
# first 120 programs), same protocol: stock vs default vs default with {"preemption": false},
# batch-bound (--max-num-seqs 8 --max-model-len 4096), --think-scale 0.3, 12 programs/s, fresh
# servers for each repetition (one interleaved_replay.py call per repetition), steps recorded.
# usage: /work/wt/exclusive timeout 590 bash run.sh
cd /tmp/k/code || exit 1
export VLLM_NEXUS_PORT_RANGE=8100-8199
out=/tmp/k/capre2
echo "start $(date -u +%FT%TZ) loadavg $(cat /proc/loadavg)"; md5sum /tmp/k/traces/ca5281.jsonl
for r in 1 2; do
  PYTHONPATH=$PWD timeout -s INT -k 20 285 /work/main/.venv/bin/python examples/interleaved_replay.py \
    --trace /tmp/k/traces/ca5281.jsonl --programs 120 --rate 12 --think-scale 0.3 --reps $r \
    --schedulers stock,default,nopre --extra 'nopre={"preemption": false}' \
    --engine-args="--max-num-seqs 8 --max-model-len 4096" --record-steps --out $out
  echo "call $r end $(date -u +%FT%TZ) loadavg $(cat /proc/loadavg)"
done
