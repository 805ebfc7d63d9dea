#!/bin/bash
# usage: below-knee-threads.sh OUT -- diagnostic (not a target run): agentic seed 53 at 3 programs/s,
#   3 repetitions, stock and the default (two servers alive), with lightload-2026-12-04g's
#   procsplit_replay.py: every thread's CPU on the machine around each replay. From the repo root:
#   /work/wt/exclusive timeout 720 bash docs/results/tal-2026-12-05/below-knee-threads.sh /tmp/bk-threads
cd "$(git -C "$(dirname "$0")" rev-parse --show-toplevel)" || exit 1
R=docs/results/lightload-2026-12-04g
export VLLM_NEXUS_PORT_RANGE=8100-8299
OUT=${1:?OUT}
date -u +"start %H:%M:%S"; cat /proc/loadavg; git log --oneline -1; md5sum /tmp/tal/traces/agentic53.jsonl
PYTHONPATH=$PWD timeout -s INT -k 30 660 /work/main/.venv/bin/python $R/procsplit_replay.py \
  --trace /tmp/tal/traces/agentic53.jsonl --programs 90 --rates 3 --reps 3 --schedulers stock,default \
  --engine-args="--max-num-seqs 8 --max-model-len 4096" --out "$OUT"
rc=$?; date -u +"end %H:%M:%S rc $rc"; cat /proc/loadavg
