#!/bin/bash
# window AB diagnostics (not verdicts): the same prediction with the start or the end calibration alone
set -e
R=/tmp/fidAB/code; T=/tmp/fidAB/traces; E="--max-num-seqs 8 --max-model-len 4096"
cd $R && export PYTHONPATH=$R
VN="/work/main/.venv/bin/python -m vllm_nexus.cli"
for N in start end; do
  D=/tmp/fidAB/diag-$N
  for f in ca mr; do mkdir -p $D/$f; for x in real steps machine; do ln -sfn /tmp/fidAB/AB/$f/$x $D/$f/$x; done; done
  $VN simulate fidelity --out $D/ca --trace $T/ca44927.jsonl --programs 120 --seed 44927 --sweep-rates 2,12 \
    --reps 6 --think-scale 0.3 --engine-args "$E" --hardware /tmp/fidAB/AB/calibration-$N.json --real-stat median --skip-real > $D/ca.out 2>&1 &
  $VN simulate fidelity --out $D/mr --trace $T/mr66181.jsonl --programs 100 --seed 66181 --sweep-rates 6,12 \
    --reps 6 --think-scale 0.3 --engine-args "$E" --hardware /tmp/fidAB/AB/calibration-$N.json --real-stat median --skip-real > $D/mr.out 2>&1
  wait
  /work/main/.venv/bin/python /work/main/docs/results/fidAB-2026-12-06/scripts/floorAB.py $D > /tmp/fidAB/diag-$N.md
done
echo done
