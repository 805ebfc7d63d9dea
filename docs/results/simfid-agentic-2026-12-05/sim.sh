#!/bin/bash
# usage: sim.sh CODE OUT -- the simulator (code tree CODE, `--hardware cpu-here` as it resolves on this
#   host) on the agentic seed-53 trace of tal-2026-12-05: 90 programs, rates 1 / 3 / 9, arrival
#   seeds 0-2, think-scale 0.3 (interleaved_replay's), batch-bound, stock-fcfs and the default.
#   Shared lock: /work/wt/shared timeout 1200 bash sim.sh /work/main /tmp/sa-main
code=$1 out=$2; mkdir -p "$out"; cd "$code" || exit 1; git log --oneline -1
for seed in 0 1 2; do for rate in 1 3 9; do for sc in stock-fcfs vllm_nexus; do
  PYTHONPATH=$code timeout 300 /work/main/.venv/bin/vllm-nexus simulate --trace /tmp/tal/traces/agentic53.jsonl \
    --programs 90 --rate $rate --seed $seed --think-scale 0.3 --hardware cpu-here --model tiny \
    --max-num-seqs 8 --max-model-len 4096 --scheduler $sc --no-progress --no-plots \
    --out "$out/s$seed-r$rate-$sc" > "$out/s$seed-r$rate-$sc.log" 2>&1 || echo "failed: $seed $rate $sc"
done; done; done
