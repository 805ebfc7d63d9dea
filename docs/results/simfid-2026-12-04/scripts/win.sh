#!/bin/bash
# window 2026-12-04 (ONE exclusive command, <= 10 min): probe, calibration with this branch's
# model (the per-call send/return latencies measured with the bench client), then real runs of
# two families the calibration never saw, on fresh seeds never used before: map-reduce
# (30 programs, seed 6000) and agentic (20 programs, seed 7000: coding-agent sessions near
# max-model-len, chat, map-reduce, lats), rates 1 and 3, stock-fcfs and vllm_nexus (default
# policy); the sampler beside each. (winH.sh of 2026-12-03h with the seeds and paths changed.)
W=${1:-W}; R=/work/wt/fid5; D=$R/results/$W; mkdir -p $D
export PYTHONPATH=$R VLLM_NEXUS_PORT_RANGE=8700-8799
VN=/work/main/.venv/bin/vllm-nexus
E="--max-num-seqs 8 --max-model-len 4096"
echo "commit $(git -C $R rev-parse HEAD)" >> $D/windows.txt
echo "calib start $(date -u +%FT%TZ)" >> $D/windows.txt
$VN simulate probe --out $D/probes.jsonl --label before-calibration
$VN simulate calibrate --out $D/calibration.json --log $D/calibration-steps.jsonl
echo "calib end $(date -u +%FT%TZ) rc=$?" >> $D/windows.txt
echo "mr start $(date -u +%FT%TZ)" >> $D/windows.txt
$VN simulate fidelity --out $D/mr --workload map-reduce --programs 30 \
    --seed 6000 --calls-scale 0.5 --tokens-scale 0.5 --arrival-cv 1.0 --sweep-rates 1,3 \
    --think-scale 0.3 --engine-args "$E" --hardware $D/calibration.json --real-only
echo "mr end $(date -u +%FT%TZ) rc=$?" >> $D/windows.txt
$VN simulate probe --out $D/probes.jsonl --label after-mr
echo "ag start $(date -u +%FT%TZ)" >> $D/windows.txt
$VN simulate fidelity --out $D/ag --workload agentic --programs 20 \
    --seed 7000 --calls-scale 0.5 --tokens-scale 0.5 --arrival-cv 1.0 --max-context-tokens 4096 \
    --sweep-rates 1,3 --think-scale 0.3 --engine-args "$E" --hardware $D/calibration.json --real-only
echo "ag end $(date -u +%FT%TZ) rc=$?" >> $D/windows.txt
$VN simulate probe --out $D/probes.jsonl --label after-ag
