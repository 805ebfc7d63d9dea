#!/bin/bash
# window AA diagnostics (not verdicts): the same prediction with the start or the end calibration alone
set -e
R=/tmp/fidAA/code; T=/tmp/fidAA/traces; E="--max-num-seqs 8 --max-model-len 4096"
cd $R && export PYTHONPATH=$R
VN="/work/main/.venv/bin/python -m vllm_nexus.cli"
for N in start end; do
  D=/tmp/fidAA/diag-$N
  for f in ca mr; do mkdir -p $D/$f; for x in real steps machine; do ln -sfn /tmp/fidAA/AA/$f/$x $D/$f/$x; done; done
  $VN simulate fidelity --out $D/ca --trace $T/ca61729.jsonl --programs 120 --seed 61729 --sweep-rates 2,12 \
    --reps 6 --think-scale 0.3 --engine-args "$E" --hardware /tmp/fidAA/AA/calibration-$N.json --real-stat median --skip-real > $D/ca.out 2>&1 &
  $VN simulate fidelity --out $D/mr --trace $T/mr38461.jsonl --programs 100 --seed 38461 --sweep-rates 6,12 \
    --reps 6 --think-scale 0.3 --engine-args "$E" --hardware /tmp/fidAA/AA/calibration-$N.json --real-stat median --skip-real > $D/mr.out 2>&1
  wait
  /work/main/.venv/bin/python /work/main/docs/results/fidAA-2026-12-06/scripts/floorAA.py $D > /tmp/fidAA/diag-$N.md
done
echo done
