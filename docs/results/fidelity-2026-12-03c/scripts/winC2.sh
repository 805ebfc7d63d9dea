#!/bin/bash
# window C, part 2 (one exclusive command): map-reduce real runs (same command as winB2.sh)
W=$1; R=/work/wt/fidelity4; D=$R/results/$W
export PYTHONPATH=$R VLLM_NEXUS_PORT_RANGE=8300-8499
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
