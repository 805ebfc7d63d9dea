#!/bin/bash
# window H (simfid-2026-12-05), ONE exclusive command: probe; `simulate calibrate` (the frozen
# code's calibrate: designed load, none of the traces) -> H/calibration.json; then both
# repetitions of both families (the fidelity runner reverses the scheduler order in rep 1):
#   coding-agent seed-8123 trace (first 200 programs, re-timed with --seed 8123) at 2 and 12 programs/s
#   map-reduce seed 9317 (40 programs, calls/tokens scale 0.5, arrival CV 1.0) at 2 and 4 programs/s
# stock-fcfs and vllm_nexus (default policy), --max-num-seqs 8 --max-model-len 4096,
# --think-scale 0.3, servers at autogroup nice 10 (launcher default), ports 8300-8399.
# Run from a frozen copy of the pre-registration commit: FID_CODE=/tmp/sf5-win/<commit>.
# usage: FID_CODE=... FID_OUT=... /work/wt/exclusive timeout 1740 bash win.sh
R=${FID_CODE:?frozen code dir}; D=${FID_OUT:?results dir}; mkdir -p $D
export PYTHONPATH=$R VLLM_NEXUS_PORT_RANGE=8300-8399
TRACE=$(realpath ${FID_TRACE:?coding-agent seed-8123 trace}); D=$(realpath $D)
cd $R  # `python -m` imports the package from the working directory: the frozen code
VN="/work/main/.venv/bin/python -m vllm_nexus.cli"
E="--max-num-seqs 8 --max-model-len 4096"
{ echo "window H code $R start $(date -u +%FT%TZ) loadavg $(cat /proc/loadavg)"; md5sum $TRACE; } >> $D/windows.txt
$VN simulate probe --out $D/probes.jsonl --label before-calibration
$VN simulate calibrate --out $D/calibration.json --log $D/calibration-steps.jsonl; rc=$?
echo "calib end $(date -u +%FT%TZ) rc=$rc" >> $D/windows.txt
$VN simulate fidelity --out $D/ca --trace $TRACE --programs 200 --seed 8123 --reps 2 \
    --sweep-rates 2,12 --think-scale 0.3 --engine-args "$E" --hardware $D/calibration.json \
    --real-only; rc=$?
echo "ca end $(date -u +%FT%TZ) rc=$rc loadavg $(cat /proc/loadavg)" >> $D/windows.txt
$VN simulate probe --out $D/probes.jsonl --label after-ca
$VN simulate fidelity --out $D/mr --workload map-reduce --programs 40 --seed 9317 --reps 2 \
    --calls-scale 0.5 --tokens-scale 0.5 --arrival-cv 1.0 --sweep-rates 2,4 --think-scale 0.3 \
    --engine-args "$E" --hardware $D/calibration.json --real-only; rc=$?
echo "mr end $(date -u +%FT%TZ) rc=$rc loadavg $(cat /proc/loadavg)" >> $D/windows.txt
$VN simulate probe --out $D/probes.jsonl --label after-mr
