#!/bin/bash
# window H (ONE exclusive command, <= 10 min): probe, calibration with this branch's model
# (frontend_step_delay_s measured on the burst), then real runs of two families the calibration
# never saw, on fresh seeds no choice was made on: map-reduce (30 programs, seed 4000) and
# agentic (20 programs, seed 5000: coding-agent sessions near max-model-len, chat, map-reduce,
# lats), rates 1 and 3, stock-fcfs and vllm_nexus (default policy); the sampler beside each.
W=${1:-H}; R=/work/wt/fid4; D=$R/results/$W; mkdir -p $D
export PYTHONPATH=$R VLLM_NEXUS_PORT_RANGE=8300-8499
VN=/work/main/.venv/bin/vllm-nexus
E="--max-num-seqs 8 --max-model-len 4096"
echo "commit $(git -C $R rev-parse HEAD)" >> $D/windows.txt
echo "calib start $(date -u +%FT%TZ)" >> $D/windows.txt
$VN simulate probe --out $D/probes.jsonl --label before-calibration
$VN simulate calibrate --out $D/calibration.json --log $D/calibration-steps.jsonl
echo "calib end $(date -u +%FT%TZ) rc=$?" >> $D/windows.txt
echo "mr start $(date -u +%FT%TZ)" >> $D/windows.txt
$VN simulate fidelity --out $D/mr --workload map-reduce --programs 30 \
    --seed 4000 --calls-scale 0.5 --tokens-scale 0.5 --arrival-cv 1.0 --sweep-rates 1,3 \
    --think-scale 0.3 --engine-args "$E" --hardware $D/calibration.json --real-only
echo "mr end $(date -u +%FT%TZ) rc=$?" >> $D/windows.txt
$VN simulate probe --out $D/probes.jsonl --label after-mr
echo "ag start $(date -u +%FT%TZ)" >> $D/windows.txt
$VN simulate fidelity --out $D/ag --workload agentic --programs 20 \
    --seed 5000 --calls-scale 0.5 --tokens-scale 0.5 --arrival-cv 1.0 --max-context-tokens 4096 \
    --sweep-rates 1,3 --think-scale 0.3 --engine-args "$E" --hardware $D/calibration.json --real-only
echo "ag end $(date -u +%FT%TZ) rc=$?" >> $D/windows.txt
$VN simulate probe --out $D/probes.jsonl --label after-ag
