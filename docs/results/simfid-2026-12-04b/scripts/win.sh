#!/bin/bash
# window X (simfid-2026-12-04b), in two exclusive commands of <= 10 min each:
#   win.sh A  probe; calibration (samples around its load, not beside); map-reduce rep0;
#             agentic rep0 (W's single command with fresh seeds and this branch's code)
#   win.sh B  repetition 1 of both families (order of schedulers reversed: vllm_nexus first)
# map-reduce 30 programs seed 6100, agentic 20 programs seed 7100 (never used in a fidelity
# run); rates 1 and 3; stock-fcfs and vllm_nexus (default policy); --max-num-seqs 8
# --max-model-len 4096; --calls-scale 0.5 --tokens-scale 0.5 --arrival-cv 1.0
# --think-scale 0.3. The machine's speed is sampled right before and after each server
# (probe.Bracket), not beside it; servers run at autogroup nice 10 (launcher, 5b4f0b5).
PART=${1:?A or B}; W=X; R=/work/wt/fid6; D=$R/results/$W; mkdir -p $D
export PYTHONPATH=$R VLLM_NEXUS_PORT_RANGE=8700-8799
VN=/work/main/.venv/bin/vllm-nexus
E="--max-num-seqs 8 --max-model-len 4096"
REPS=$([ "$PART" = A ] && echo 1 || echo 2)
echo "part $PART commit $(git -C $R rev-parse HEAD) start $(date -u +%FT%TZ)" >> $D/windows.txt
if [ "$PART" = A ]; then
    $VN simulate probe --out $D/probes.jsonl --label before-calibration
    $VN simulate calibrate --out $D/calibration.json --log $D/calibration-steps.jsonl; rc=$?
    echo "calib end $(date -u +%FT%TZ) rc=$rc" >> $D/windows.txt
fi
$VN simulate fidelity --out $D/mr --workload map-reduce --programs 30 --reps $REPS \
    --seed 6100 --calls-scale 0.5 --tokens-scale 0.5 --arrival-cv 1.0 --sweep-rates 1,3 \
    --think-scale 0.3 --engine-args "$E" --hardware $D/calibration.json --real-only; rc=$?
echo "mr end $(date -u +%FT%TZ) rc=$rc" >> $D/windows.txt
$VN simulate probe --out $D/probes.jsonl --label after-mr-$PART
$VN simulate fidelity --out $D/ag --workload agentic --programs 20 --reps $REPS \
    --seed 7100 --calls-scale 0.5 --tokens-scale 0.5 --arrival-cv 1.0 --max-context-tokens 4096 \
    --sweep-rates 1,3 --think-scale 0.3 --engine-args "$E" --hardware $D/calibration.json --real-only; rc=$?
echo "ag end $(date -u +%FT%TZ) rc=$rc" >> $D/windows.txt
$VN simulate probe --out $D/probes.jsonl --label after-ag-$PART
