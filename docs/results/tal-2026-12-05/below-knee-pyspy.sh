#!/bin/bash
# usage: below-knee-pyspy.sh OUT -- diagnostic: agentic seed 53 at 3 programs/s, one replay of the
#   default alone, with py-spy sampling the engine-core process (100 Hz, raw stacks) through the
#   warm-up and the replay. From the repo root:
#   /work/wt/exclusive timeout 600 bash docs/results/tal-2026-12-05/below-knee-pyspy.sh /tmp/bk-spy
cd "$(git -C "$(dirname "$0")" rev-parse --show-toplevel)" || exit 1
export VLLM_NEXUS_PORT_RANGE=8100-8299
OUT=${1:?OUT}; mkdir -p "$OUT"
date -u +"start %H:%M:%S"; git log --oneline -1
( for i in $(seq 1 240); do pid=$(pgrep -f "VLLM::EngineCore" | head -1); [ -n "$pid" ] && break; sleep 1; done
  echo "engine core pid $pid"; sleep 15
  /work/main/.venv/bin/py-spy record --pid "$pid" --rate 100 --duration 100 --format raw --nonblocking -o "$OUT/enginecore.txt" > "$OUT/pyspy.log" 2>&1 ) &
spy=$!
PYTHONPATH=$PWD timeout -s INT -k 30 500 /work/main/.venv/bin/python examples/interleaved_replay.py \
  --trace /tmp/tal/traces/agentic53.jsonl --programs 90 --rates 3 --reps 1 --schedulers ${SPY_SCHED:-default} \
  --engine-args="--max-num-seqs 8 --max-model-len 4096" --out "$OUT/replay"
rc=$?; wait $spy; date -u +"end %H:%M:%S rc $rc"
