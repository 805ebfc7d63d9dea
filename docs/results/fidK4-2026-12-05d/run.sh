#!/bin/bash
# usage: /work/wt/exclusive timeout 590 bash run.sh REPS  (adds the repetitions below REPS that /tmp/fk4/ca lacks)
# window K's winK.sh ca line, unchanged but for the paths.
R=/tmp/fk4/code; D=/tmp/fk4; T=/tmp/fk4/traces; REPS=${1:?reps}
export VLLM_NEXUS_PORT_RANGE=8100-8199
VN="/work/main/.venv/bin/python -m vllm_nexus.cli"
E="--max-num-seqs 8 --max-model-len 4096"
P=$R/vllm_nexus/perf/profiles/cpu-here-c268a9353dec.json
{ echo "fidK4 ca reps $REPS code $(cat $R/COMMIT 2>/dev/null) start $(date -u +%FT%TZ) loadavg $(cat /proc/loadavg)"; md5sum $T/ca4721.jsonl; } >> $D/windows.txt
cd $R; export PYTHONPATH=$R
$VN simulate fidelity --out $D/ca --trace $T/ca4721.jsonl --programs 120 --seed 4721 --sweep-rates 2,12 \
  --reps $REPS --think-scale 0.3 --engine-args "$E" --hardware $P --speed-probe --real-only; rc=$?
echo "ca reps $REPS end $(date -u +%FT%TZ) rc=$rc loadavg $(cat /proc/loadavg)" >> $D/windows.txt
