#!/bin/bash
# Re-run of window J's losing cell (coding-agent seed-9433 trace, first 120 programs, 12 programs/s),
# stock-fcfs vs the default, 3 interleaved repetitions, step logs recorded, machine probes between.
# usage: FID_CODE=<frozen code dir> FID_OUT=... FID_TRACES=... /work/wt/exclusive timeout 900 bash run.sh
R=${FID_CODE:?frozen code dir}; D=${FID_OUT:?results dir}; mkdir -p $D
T=$(realpath ${FID_TRACES:?}); D=$(realpath $D)
export VLLM_NEXUS_PORT_RANGE=8100-8199
VN="/work/main/.venv/bin/python -m vllm_nexus.cli"
P=$R/vllm_nexus/perf/profiles/cpu-here-c268a9353dec.json
{ echo "code $R start $(date -u +%FT%TZ) loadavg $(cat /proc/loadavg)"; md5sum $T/ca9433.jsonl; } >> $D/windows.txt
cd $R; export PYTHONPATH=$R
$VN simulate probe --out $D/probes.jsonl --label before
$VN simulate fidelity --out $D/ca --trace $T/ca9433.jsonl --programs 120 --seed 9433 --reps ${REPS:-3} \
    --sweep-rates ${RATES:-12} --think-scale 0.3 --engine-args "--max-num-seqs 8 --max-model-len 4096" \
    --hardware $P --real-only; rc=$?
echo "end $(date -u +%FT%TZ) rc=$rc loadavg $(cat /proc/loadavg)" >> $D/windows.txt
$VN simulate probe --out $D/probes.jsonl --label after
