#!/bin/bash
# calibrate + coding-agent real runs in one exclusive command, with the probe sampler
W=$1; D=/work/wt/simfid3/results/$W; mkdir -p $D
export PYTHONPATH=/work/wt/simfid3 VLLM_NEXUS_PORT_RANGE=8500-8699
VN=/work/main/.venv/bin/vllm-nexus
E="--max-num-seqs 8 --max-model-len 4096"
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
