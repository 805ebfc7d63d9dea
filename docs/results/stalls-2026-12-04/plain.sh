#!/bin/bash
# 2026-12-04: the same map-reduce trace (run.sh's, /tmp/stalls/mr/trace.jsonl), stock only, through
# interleaved_replay.py (plain `vllm-nexus bench` subprocess, no machine-probe process beside it).
#   /work/wt/exclusive timeout 600 bash docs/results/stalls-2026-12-04/plain.sh /tmp/stalls-plain
cd "$(git -C "$(dirname "$0")" rev-parse --show-toplevel)" || exit 1
export PYTHONPATH=$PWD VLLM_NEXUS_PORT_RANGE=8700-8799
echo "start $(date -u +%T) $(git log --oneline -1) load $(cut -d' ' -f1-3 /proc/loadavg)"
timeout 500 /work/main/.venv/bin/python examples/interleaved_replay.py --trace /tmp/stalls/mr/trace.jsonl \
  --programs 30 --rate 1 --reps 2 --schedulers stock --think-scale 0.3 \
  --engine-args="--max-num-seqs 8 --max-model-len 4096" --out ${1:?out}
echo "end $(date -u +%T) rc=$? load $(cut -d' ' -f1-3 /proc/loadavg)"
