#!/bin/bash
# window C, part 3 (one exclusive command): a third family the calibrations never saw and no
# choice was made on (agentic: an equal mix of coding-agent, chat, map-reduce and lats
# programs), run once; same settings as the other two families
W=$1; R=/work/wt/fidelity4; D=$R/results/$W
export PYTHONPATH=$R VLLM_NEXUS_PORT_RANGE=8300-8499
VN=/work/main/.venv/bin/vllm-nexus
E="--max-num-seqs 8 --max-model-len 4096"
echo "ag start $(date -u +%FT%TZ)" >> $D/windows.txt
$VN simulate probe --out $D/probes.jsonl --label before-ag
$VN simulate fidelity --out $D/ag --workload agentic --programs 24 \
    --seed 3000 --calls-scale 0.5 --tokens-scale 0.5 --arrival-cv 1.0 --max-context-tokens 4096 \
    --sweep-rates 1,3 --think-scale 0.3 --engine-args "$E" --hardware $D/calibration.json --real-only
rc=$?
$VN simulate probe --out $D/probes.jsonl --label after-ag
echo "ag end $(date -u +%FT%TZ) rc=$rc" >> $D/windows.txt
