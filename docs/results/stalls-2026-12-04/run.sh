#!/bin/bash
# 2026-12-04: where do the >0.3 s stalls inside a call's stream come from (client, API server
# or engine)? One exclusive command: fid5's window-W map-reduce setting (30 programs, seed 6000,
# 1 per s, batch-bound), stock and the default, 2 repetitions, through `simulate fidelity
# --real-only` (bench client with its new event-loop watch + the engine's step log).
#   /work/wt/exclusive timeout 600 bash docs/results/stalls-2026-12-04/run.sh /tmp/stalls
cd "$(git -C "$(dirname "$0")" rev-parse --show-toplevel)" || exit 1
D=${1:?out dir}; mkdir -p $D
export PYTHONPATH=$PWD VLLM_NEXUS_PORT_RANGE=8700-8799
echo "start $(date -u +%T) $(git log --oneline -1) load $(cut -d' ' -f1-3 /proc/loadavg)"
timeout 540 /work/main/.venv/bin/vllm-nexus simulate fidelity --out $D/mr --workload map-reduce --programs 30 \
    --seed 6000 --calls-scale 0.5 --tokens-scale 0.5 --arrival-cv 1.0 --sweep-rates 1 --reps 2 \
    --think-scale 0.3 --engine-args "--max-num-seqs 8 --max-model-len 4096" --real-only
echo "end $(date -u +%T) rc=$? load $(cut -d' ' -f1-3 /proc/loadavg)"
