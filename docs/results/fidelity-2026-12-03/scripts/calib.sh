#!/bin/bash
W=$1; D=/work/wt/simfid3/results/$W; mkdir -p $D
export PYTHONPATH=/work/wt/simfid3 VLLM_NEXUS_PORT_RANGE=8500-8699
VN=/work/main/.venv/bin/vllm-nexus
echo "calib start $(date -u +%FT%TZ)" >> $D/windows.txt
$VN simulate probe --out $D/probes.jsonl --label before-calibration
$VN simulate calibrate --out $D/calibration.json --log $D/calibration-steps.jsonl
rc=$?
$VN simulate probe --out $D/probes.jsonl --label after-calibration
echo "calib end $(date -u +%FT%TZ) rc=$rc" >> $D/windows.txt
