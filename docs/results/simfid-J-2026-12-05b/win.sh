#!/bin/bash
# window J (simfid-J-2026-12-05b), ONE exclusive command: probe; both repetitions (the fidelity
# runner reverses the scheduler order in rep 1) of
#   coding-agent seed-9433 trace (first 120 programs, re-timed with --seed 9433) at 2 and 12 programs/s
#   map-reduce seed-6529 trace (first 100 programs, re-timed with --seed 6529) at 6 and 12 programs/s
# stock-fcfs and vllm_nexus (default policy), --max-num-seqs 8 --max-model-len 4096,
# --think-scale 0.3, ports 8100-8199 (lead). No calibration: the verdict is the packaged profile.
# usage: FID_CODE=<frozen code dir> FID_OUT=... FID_TRACES=... /work/wt/exclusive timeout 1500 bash win.sh
R=${FID_CODE:?frozen code dir}; D=${FID_OUT:?results dir}; mkdir -p $D
T=$(realpath ${FID_TRACES:?}); D=$(realpath $D)
export VLLM_NEXUS_PORT_RANGE=8100-8199
VN="/work/main/.venv/bin/python -m vllm_nexus.cli"
E="--max-num-seqs 8 --max-model-len 4096"
P=$R/vllm_nexus/perf/profiles/cpu-here-c268a9353dec.json
{ echo "window J code $R start $(date -u +%FT%TZ) loadavg $(cat /proc/loadavg)"; md5sum $T/*.jsonl; } >> $D/windows.txt
cd $R; export PYTHONPATH=$R
$VN simulate probe --out $D/probes.jsonl --label before
$VN simulate fidelity --out $D/ca --trace $T/ca9433.jsonl --programs 120 --seed 9433 --reps 2 \
    --sweep-rates 2,12 --think-scale 0.3 --engine-args "$E" --hardware $P --real-only; rc=$?
echo "ca end $(date -u +%FT%TZ) rc=$rc loadavg $(cat /proc/loadavg)" >> $D/windows.txt
$VN simulate probe --out $D/probes.jsonl --label after-ca
$VN simulate fidelity --out $D/mr --trace $T/mr6529.jsonl --programs 100 --seed 6529 --reps 2 \
    --sweep-rates 6,12 --think-scale 0.3 --engine-args "$E" --hardware $P --real-only; rc=$?
echo "mr end $(date -u +%FT%TZ) rc=$rc loadavg $(cat /proc/loadavg)" >> $D/windows.txt
$VN simulate probe --out $D/probes.jsonl --label after-mr
