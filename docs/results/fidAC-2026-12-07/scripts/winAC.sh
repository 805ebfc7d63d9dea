#!/bin/bash
# window AC (fidAC-2026-12-07): ONE exclusive command adds repetitions of one family.
#   winAC.sh ca N   coding-agent seed-51873 trace (first 120 programs, re-timed with --seed 51873) at 2 and 12/s,
#                  repetitions up to N (the fidelity runner skips finished repetitions)
#   winAC.sh mr N   map-reduce seed-70429 trace (first 100 programs, re-timed with --seed 70429) at 6 and 12/s
# stock-fcfs and vllm_nexus (default policy), one fresh server per scheduler per repetition per rate,
# --max-num-seqs 8 --max-model-len 4096, --think-scale 0.3, ports 8100-8199.
# usage: FID_CODE=<frozen code> FID_OUT=... FID_TRACES=... /work/wt/exclusive timeout 590 bash winAC.sh FAM N
R=${FID_CODE:?frozen code dir}; D=${FID_OUT:?results dir}; FAM=${1:?ca|mr}; REPS=${2:?reps}; mkdir -p $D
T=$(realpath ${FID_TRACES:?}); D=$(realpath $D)
export VLLM_NEXUS_PORT_RANGE=8100-8199
VN="/work/main/.venv/bin/python -m vllm_nexus.cli"
E="--max-num-seqs 8 --max-model-len 4096"
P=$D/calibration-start.json  # the start calibration (calibAC.sh start); --real-only does not simulate
case $FAM in
  ca) W=(--trace $T/ca51873.jsonl --programs 120 --seed 51873 --sweep-rates 2,12) ;;
  mr) W=(--trace $T/mr70429.jsonl --programs 100 --seed 70429 --sweep-rates 6,12) ;;
esac
{ echo "window AC $FAM reps $REPS code $R start $(date -u +%FT%TZ) loadavg $(cat /proc/loadavg)"; md5sum $T/*.jsonl; } >> $D/windows.txt
cd $R; export PYTHONPATH=$R
$VN simulate probe --out $D/probes.jsonl --label before-$FAM-$REPS
$VN simulate fidelity --out $D/$FAM "${W[@]}" --reps $REPS --think-scale 0.3 --engine-args "$E" \
    --hardware $P --real-only; rc=$?
echo "$FAM reps $REPS end $(date -u +%FT%TZ) rc=$rc loadavg $(cat /proc/loadavg)" >> $D/windows.txt
$VN simulate probe --out $D/probes.jsonl --label after-$FAM-$REPS
