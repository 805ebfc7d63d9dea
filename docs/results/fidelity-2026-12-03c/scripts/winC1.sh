#!/bin/bash
# window C, part 1 (one exclusive command): probe, calibration (sampler during the load), coding-agent real runs
# (same command as 2026-12-03 window B's winB1.sh; worktree fidelity4, ports 8300-8499)
W=$1; R=/work/wt/fidelity4; D=$R/results/$W; mkdir -p $D
export PYTHONPATH=$R VLLM_NEXUS_PORT_RANGE=8300-8499
VN=/work/main/.venv/bin/vllm-nexus
E="--max-num-seqs 8 --max-model-len 4096"
echo "commit $(git -C $R rev-parse HEAD)" >> $D/windows.txt
echo "calib start $(date -u +%FT%TZ)" >> $D/windows.txt
$VN simulate probe --out $D/probes.jsonl --label before-calibration
$VN simulate calibrate --out $D/calibration.json --log $D/calibration-steps.jsonl
rc=$?
$VN simulate probe --out $D/probes.jsonl --label after-calibration
echo "calib end $(date -u +%FT%TZ) rc=$rc" >> $D/windows.txt
echo "ca start $(date -u +%FT%TZ)" >> $D/windows.txt
$VN simulate fidelity --out $D/ca --workload coding-agent --programs 30 \
    --seed 1000 --calls-scale 0.5 --tokens-scale 0.5 --arrival-cv 1.0 --max-context-tokens 4096 \
    --sweep-rates 1,3 --think-scale 0.3 --engine-args "$E" --hardware $D/calibration.json --real-only
rc=$?
$VN simulate probe --out $D/probes.jsonl --label after-ca
echo "ca end $(date -u +%FT%TZ) rc=$rc" >> $D/windows.txt
