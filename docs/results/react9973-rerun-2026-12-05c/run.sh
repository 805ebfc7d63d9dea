#!/bin/bash
# Re-run of kvfresh's RK cell (react seed 9973, first 300 programs, 40 programs/s, KV-bound:
# --max-num-seqs 64 --num-gpu-blocks-override 40 --max-model-len 4096), stock vs the default,
# with FRESH servers for every repetition (kvfresh's kvf.sh kept both servers up for all three,
# so one slow server process tilts every repetition the same way). interleaved_replay.py runs
# the repetitions below --reps that --out lacks, so each call below starts new servers and adds
# one repetition (its scheduler order rotates with the repetition index). Steps recorded.
# usage: /work/wt/exclusive timeout 590 bash run.sh
cd /tmp/k/code || exit 1
export VLLM_NEXUS_PORT_RANGE=8100-8199
out=/tmp/k/react
echo "start $(date -u +%FT%TZ) loadavg $(cat /proc/loadavg)"; md5sum /tmp/k/traces/react9973.jsonl
for r in 1 2 3; do
  PYTHONPATH=$PWD timeout -s INT -k 20 180 /work/main/.venv/bin/python examples/interleaved_replay.py \
    --trace /tmp/k/traces/react9973.jsonl --programs 300 --rate 40 --reps $r --schedulers stock,default \
    --engine-args=kv-bound --record-steps --out $out
  echo "rep $r end $(date -u +%FT%TZ) rc=$? loadavg $(cat /proc/loadavg)"
done
