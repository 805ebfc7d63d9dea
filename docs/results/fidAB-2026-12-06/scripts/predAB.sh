#!/bin/bash
# window AB, after the real runs and the end calibration (../README.md "Predictor"): the midpoint of
# the start and end calibrations (the product's `simulate calibrate --midpoint`), then
# `simulate fidelity --skip-real --real-stat median` per family -> AB/{ca,mr}/fidelity.md, sim-alone/
# (the frozen code at the pre-registration, /tmp/fidAB/code).
# usage: /work/wt/shared timeout 1200 bash predAB.sh N
N=${1:?reps}; D=/tmp/fidAB/AB; T=/tmp/fidAB/traces; R=/tmp/fidAB/code
E="--max-num-seqs 8 --max-model-len 4096"
cd $R && export PYTHONPATH=$R
VN="/work/main/.venv/bin/python -m vllm_nexus.cli"
$VN simulate calibrate --midpoint $D/calibration-start.json $D/calibration-end.json --out $D/calibration-mid.json || exit 1
echo "pred start $(date -u +%FT%TZ)" >> $D/windows.txt
$VN simulate fidelity --out $D/ca --trace $T/ca44927.jsonl --programs 120 --seed 44927 --sweep-rates 2,12 \
  --reps $N --think-scale 0.3 --engine-args "$E" --hardware $D/calibration-mid.json --real-stat median --skip-real > $D/ca/pred.out 2>&1 &
$VN simulate fidelity --out $D/mr --trace $T/mr66181.jsonl --programs 100 --seed 66181 --sweep-rates 6,12 \
  --reps $N --think-scale 0.3 --engine-args "$E" --hardware $D/calibration-mid.json --real-stat median --skip-real > $D/mr/pred.out 2>&1
wait
echo "pred end $(date -u +%FT%TZ)" >> $D/windows.txt
