#!/bin/bash
# window K (simfid-speed-2026-12-05c), ONE family per exclusive command:
#   winK.sh ca 1   coding-agent seed-4721 trace (first 120 programs, re-timed with --seed 4721) at 2 and 12/s, rep 0
#   winK.sh ca 2   the same, rep 1 (rep 0 kept: the fidelity runner skips finished repetitions and
#                  reverses the scheduler order in rep 1)
#   winK.sh mr 2   map-reduce seed-7459 trace (first 100 programs, re-timed with --seed 7459) at 6 and 12/s, reps 0-1
# stock-fcfs and vllm_nexus (default policy), --max-num-seqs 8 --max-model-len 4096, --think-scale 0.3,
# the speed probe on each fresh server before its trace, ports 8300-8399, packaged per-host profile.
# usage: FID_CODE=<frozen code> FID_OUT=... FID_TRACES=... /work/wt/exclusive timeout 590 bash winK.sh FAM REPS
R=${FID_CODE:?frozen code dir}; D=${FID_OUT:?results dir}; FAM=${1:?ca|mr}; REPS=${2:?reps}; mkdir -p $D
T=$(realpath ${FID_TRACES:?}); D=$(realpath $D)
export VLLM_NEXUS_PORT_RANGE=8300-8399
VN="/work/main/.venv/bin/python -m vllm_nexus.cli"
E="--max-num-seqs 8 --max-model-len 4096"
P=$R/vllm_nexus/perf/profiles/cpu-here-c268a9353dec.json
case $FAM in
  ca) W=(--trace $T/ca4721.jsonl --programs 120 --seed 4721 --sweep-rates 2,12) ;;
  mr) W=(--trace $T/mr7459.jsonl --programs 100 --seed 7459 --sweep-rates 6,12) ;;
esac
{ echo "window K $FAM reps $REPS code $R start $(date -u +%FT%TZ) loadavg $(cat /proc/loadavg)"; md5sum $T/*.jsonl; } >> $D/windows.txt
cd $R; export PYTHONPATH=$R
$VN simulate probe --out $D/probes.jsonl --label before-$FAM-$REPS
$VN simulate fidelity --out $D/$FAM "${W[@]}" --reps $REPS --think-scale 0.3 --engine-args "$E" \
    --hardware $P --speed-probe --real-only; rc=$?
echo "$FAM reps $REPS end $(date -u +%FT%TZ) rc=$rc loadavg $(cat /proc/loadavg)" >> $D/windows.txt
$VN simulate probe --out $D/probes.jsonl --label after-$FAM-$REPS
