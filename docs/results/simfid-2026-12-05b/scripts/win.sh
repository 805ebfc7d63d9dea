#!/bin/bash
# window I (simfid-2026-12-05b), ONE exclusive command: probe; main's `simulate calibrate` (one
# server; frozen main f08d26b) -> I/cal-main.json; this branch's `simulate calibrate` (3 servers,
# the median fit kept; frozen pre-registration commit) -> I/calibration.json; then both
# repetitions (the fidelity runner reverses the scheduler order in rep 1) of:
#   coding-agent seed-8761 trace (first 120 programs, re-timed with --seed 8761) at 2 and 12 programs/s
#   agentic seed-6151 trace (first 90 programs, re-timed with --seed 6151) at 3 and 9 programs/s
# stock-fcfs and vllm_nexus (default policy), --max-num-seqs 8 --max-model-len 4096,
# --think-scale 0.3, ports 8300-8399.
# usage: FID_CODE=/tmp/sf6-win/<commit> FID_MAIN=/tmp/sf6-win/main FID_OUT=... FID_TRACES=/tmp/sf6/traces \
#        /work/wt/exclusive timeout 1740 bash win.sh
R=${FID_CODE:?frozen code dir}; M=${FID_MAIN:?frozen main}; D=${FID_OUT:?results dir}; mkdir -p $D
T=$(realpath ${FID_TRACES:?}); D=$(realpath $D)
export VLLM_NEXUS_PORT_RANGE=8300-8399
VN="/work/main/.venv/bin/python -m vllm_nexus.cli"
E="--max-num-seqs 8 --max-model-len 4096"
{ echo "window I code $R main $M start $(date -u +%FT%TZ) loadavg $(cat /proc/loadavg)"; md5sum $T/*.jsonl; } >> $D/windows.txt
cd $R; export PYTHONPATH=$R
$VN simulate probe --out $D/probes.jsonl --label before-calibration
(cd $M && PYTHONPATH=$M $VN simulate calibrate --out $D/cal-main.json --log $D/cal-main-steps.jsonl); rc=$?
echo "main calib end $(date -u +%FT%TZ) rc=$rc" >> $D/windows.txt
$VN simulate calibrate --servers 3 --out $D/calibration.json --log $D/calibration-steps.jsonl; rc=$?
echo "new calib end $(date -u +%FT%TZ) rc=$rc" >> $D/windows.txt
$VN simulate fidelity --out $D/ca --trace $T/ca8761.jsonl --programs 120 --seed 8761 --reps 2 \
    --sweep-rates 2,12 --think-scale 0.3 --engine-args "$E" --hardware $D/calibration.json \
    --real-only; rc=$?
echo "ca end $(date -u +%FT%TZ) rc=$rc loadavg $(cat /proc/loadavg)" >> $D/windows.txt
$VN simulate probe --out $D/probes.jsonl --label after-ca
$VN simulate fidelity --out $D/ag --trace $T/ag6151.jsonl --programs 90 --seed 6151 --reps 2 \
    --sweep-rates 3,9 --think-scale 0.3 --engine-args "$E" --hardware $D/calibration.json \
    --real-only; rc=$?
echo "ag end $(date -u +%FT%TZ) rc=$rc loadavg $(cat /proc/loadavg)" >> $D/windows.txt
$VN simulate probe --out $D/probes.jsonl --label after-ag
