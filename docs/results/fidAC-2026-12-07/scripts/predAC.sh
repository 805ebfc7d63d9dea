#!/bin/bash
# window AC, after the real runs and the end calibration (../README.md "Predictors"), with the frozen
# code at the pre-registration (/tmp/fidAC/code):
#   1. the shipped midpoint of the start and end calibrations (`calibrate --midpoint START END`)
#      -> calibration-mid.json; `simulate fidelity --skip-real --real-stat median` per family,
#      its sim-alone/ and fidelity.md then renamed sim-bracket/ and fidelity-bracket.md
#   2. the centre of every calibration in the order made (`calibrate --midpoint START rep1..repK END`,
#      what `simulate fidelity --hardware interleave` predicts with) -> calibration-centre.json;
#      the same per family -> sim-alone/ and fidelity.md
# usage: /work/wt/shared timeout 1200 bash predAC.sh N
N=${1:?reps}; D=/tmp/fidAC/AC; T=/tmp/fidAC/traces; R=/tmp/fidAC/code
E="--max-num-seqs 8 --max-model-len 4096"
cd $R && export PYTHONPATH=$R
VN="/work/main/.venv/bin/python -m vllm_nexus.cli"
predict() {  # $1 profile
  $VN simulate fidelity --out $D/ca --trace $T/ca51873.jsonl --programs 120 --seed 51873 --sweep-rates 2,12 \
    --reps $N --think-scale 0.3 --engine-args "$E" --hardware $1 --real-stat median --skip-real > $D/ca/pred.out 2>&1 &
  $VN simulate fidelity --out $D/mr --trace $T/mr70429.jsonl --programs 100 --seed 70429 --sweep-rates 6,12 \
    --reps $N --think-scale 0.3 --engine-args "$E" --hardware $1 --real-stat median --skip-real > $D/mr/pred.out 2>&1
  wait
}
$VN simulate calibrate --midpoint $D/calibration-start.json $D/calibration-end.json --out $D/calibration-mid.json || exit 1
REPS=$(ls $D/calibration-rep*.json | sort -V)
$VN simulate calibrate --midpoint $D/calibration-start.json $REPS $D/calibration-end.json --out $D/calibration-centre.json || exit 1
echo "pred bracket start $(date -u +%FT%TZ)" >> $D/windows.txt
predict $D/calibration-mid.json
for f in ca mr; do mv $D/$f/sim-alone $D/$f/sim-bracket; mv $D/$f/fidelity.md $D/$f/fidelity-bracket.md; mv $D/$f/pred.out $D/$f/pred-bracket.out; done
echo "pred centre start $(date -u +%FT%TZ)" >> $D/windows.txt
predict $D/calibration-centre.json
echo "pred end $(date -u +%FT%TZ)" >> $D/windows.txt
