#!/bin/bash
# usage: steps8.sh -- one exclusive command (diagnostic): the react seed-43 trace at 8 programs/s only,
# 2 repetitions, stock vs the default, every server recording its engine steps (--record-steps),
# to see how the default's steps differ at a load with no queue. From the repo root:
#   /work/wt/exclusive timeout 600 bash docs/results/lightload-2026-12-04f/steps8.sh
cd "$(git -C "$(dirname "$0")" rev-parse --show-toplevel)" || exit 1
export VLLM_NEXUS_PORT_RANGE=8100-8299
date -u +"start %H:%M:%S"; cat /proc/loadavg; git log --oneline -1; md5sum /tmp/tal/traces/react43.jsonl
PYTHONPATH=$PWD timeout -s INT -k 30 560 /work/main/.venv/bin/python examples/interleaved_replay.py \
  --trace /tmp/tal/traces/react43.jsonl --programs 300 --rate 8 --reps 2 --schedulers stock,default \
  --record-steps --engine-args="--max-num-seqs 8 --max-model-len 4096" --out /tmp/tal/runs/react43-steps8
rc=$?; date -u +"end %H:%M:%S rc $rc"; cat /proc/loadavg
