#!/bin/bash
# One repetition (fresh servers) of the KV-bound `mixed` fresh-seed check: stock vs default,
# examples/interleaved_replay.py --reps R (runs repetition R-1 if --out lacks it; the scheduler
# order rotates with the repetition index), KV-bound setting, steps recorded, frozen main.
# usage: /work/wt/exclusive timeout 590 bash rep.sh R RATE
cd /tmp/k/code || exit 1
export VLLM_NEXUS_PORT_RANGE=8100-8199
r=$1 rate=$2 out=/tmp/k/mixkv
echo "rep $r start $(date -u +%FT%TZ) loadavg $(cat /proc/loadavg)"; md5sum /tmp/k/traces/mixed8429.jsonl
PYTHONPATH=$PWD timeout -s INT -k 20 560 /work/main/.venv/bin/python examples/interleaved_replay.py \
  --trace /tmp/k/traces/mixed8429.jsonl --programs 150 --rate $rate --reps $r --schedulers stock,default \
  --engine-args=kv-bound --record-steps --out $out
echo "rep $r end $(date -u +%FT%TZ) rc=$? loadavg $(cat /proc/loadavg)"
