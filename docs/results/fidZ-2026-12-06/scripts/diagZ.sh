#!/bin/bash
# window Z diagnostics (not verdicts): the same prediction with the start or the end calibration alone
set -e
R=/tmp/fidZ/code; T=/tmp/fidZ/traces; E="--max-num-seqs 8 --max-model-len 4096"
cd $R && export PYTHONPATH=$R
VN="/work/main/.venv/bin/python -m vllm_nexus.cli"
for N in start end; do
  D=/tmp/fidZ/diag-$N
  for f in ca mr; do mkdir -p $D/$f; for x in real steps machine; do ln -sfn /tmp/fidZ/Z/$f/$x $D/$f/$x; done; done
  $VN simulate fidelity --out $D/ca --trace $T/ca83617.jsonl --programs 120 --seed 83617 --sweep-rates 2,12 \
    --reps 4 --think-scale 0.3 --engine-args "$E" --hardware /tmp/fidZ/Z/calibration-$N.json --real-stat median --skip-real > $D/ca.out 2>&1 &
  $VN simulate fidelity --out $D/mr --trace $T/mr19382.jsonl --programs 100 --seed 19382 --sweep-rates 6,12 \
    --reps 4 --think-scale 0.3 --engine-args "$E" --hardware /tmp/fidZ/Z/calibration-$N.json --real-stat median --skip-real > $D/mr.out 2>&1
  wait
  /work/main/.venv/bin/python /work/main/docs/results/fidZ-2026-12-06/scripts/floorZ.py $D > /tmp/fidZ/diag-$N.md
done
echo done
