#!/bin/bash
W=$1; D=/work/wt/simfid3/results/$W
export PYTHONPATH=/work/wt/simfid3 VLLM_NEXUS_PORT_RANGE=8500-8699
VN=/work/main/.venv/bin/vllm-nexus
E="--max-num-seqs 8 --max-model-len 4096"
echo "mr start $(date -u +%FT%TZ)" >> $D/windows.txt
$VN simulate probe --out $D/probes.jsonl --label before-mr
$VN simulate fidelity --out $D/mr --workload map-reduce --programs 40 \
    --seed 2000 --calls-scale 0.5 --tokens-scale 0.5 --arrival-cv 1.0 --sweep-rates 1,3 \
    --think-scale 0.3 --engine-args "$E" --hardware $D/calibration.json --real-only
rc=$?
$VN simulate probe --out $D/probes.jsonl --label after-mr
echo "mr end $(date -u +%FT%TZ) rc=$rc" >> $D/windows.txt
