#!/bin/bash
# window F (simfid-2026-12-04f), two exclusive commands:
#   win.sh A  probe; calibration (designed load, none of the traces); coding-agent seed-35
#             trace (first 200 programs) at 12 and 24 programs/s, rep0; map-reduce seed 6700
#             (40 programs) at 2 and 4 programs/s, rep0
#   win.sh B  repetition 1 of both families (the fidelity runner reverses the scheduler order)
# stock-fcfs and vllm_nexus (default policy), --max-num-seqs 8 --max-model-len 4096,
# --think-scale 0.3, servers at autogroup nice 10 (launcher default), ports 8300-8399.
# Run from a frozen copy of the pre-registration commit: FID_CODE=/tmp/fid-win/<commit>.
# usage: /work/wt/exclusive timeout 1260 bash win.sh A   (B: timeout 1080)
PART=${1:?A or B}; R=${FID_CODE:?frozen code dir}; D=${FID_OUT:?results dir}; mkdir -p $D
export PYTHONPATH=$R VLLM_NEXUS_PORT_RANGE=8300-8399
VN="/work/main/.venv/bin/python -m vllm_nexus.cli"
E="--max-num-seqs 8 --max-model-len 4096"
TRACE=${FID_TRACE:-/tmp/tal/traces/coding-agent35.jsonl}
REPS=$([ "$PART" = A ] && echo 1 || echo 2)
{ echo "part $PART code $R start $(date -u +%FT%TZ) loadavg $(cat /proc/loadavg)"; md5sum $TRACE; } >> $D/windows.txt
if [ "$PART" = A ]; then
    $VN simulate probe --out $D/probes.jsonl --label before-calibration
    $VN simulate calibrate --out $D/calibration.json --log $D/calibration-steps.jsonl; rc=$?
    echo "calib end $(date -u +%FT%TZ) rc=$rc" >> $D/windows.txt
fi
$VN simulate fidelity --out $D/ca --trace $TRACE --programs 200 --seed 35 --reps $REPS \
    --sweep-rates 12,24 --think-scale 0.3 --engine-args "$E" --hardware $D/calibration.json \
    --real-only; rc=$?
echo "ca end $(date -u +%FT%TZ) rc=$rc loadavg $(cat /proc/loadavg)" >> $D/windows.txt
$VN simulate probe --out $D/probes.jsonl --label after-ca-$PART
$VN simulate fidelity --out $D/mr --workload map-reduce --programs 40 --seed 6700 --reps $REPS \
    --calls-scale 0.5 --tokens-scale 0.5 --arrival-cv 1.0 --sweep-rates 2,4 --think-scale 0.3 \
    --engine-args "$E" --hardware $D/calibration.json --real-only; rc=$?
echo "mr end $(date -u +%FT%TZ) rc=$rc loadavg $(cat /proc/loadavg)" >> $D/windows.txt
$VN simulate probe --out $D/probes.jsonl --label after-mr-$PART
