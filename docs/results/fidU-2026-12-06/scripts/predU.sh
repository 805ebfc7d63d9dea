#!/bin/bash
# window U's prediction (pre-registered in ../README.md): frozen code, the bracketing calibration (calibration.json; FID_PROFILE overrides),
# `simulate fidelity --skip-real` per family -> U/{ca,mr}/fidelity.md, sim-alone/ and (registered) sim-probe-rescaled/
# usage: FID_CODE=... FID_OUT=... FID_TRACES=... /work/wt/shared timeout 590 bash predU.sh N
R=${FID_CODE:?}; D=$(realpath ${FID_OUT:?}); T=$(realpath ${FID_TRACES:?}); N=${1:?reps}
E="--max-num-seqs 8 --max-model-len 4096"
P=${FID_PROFILE:-$D/calibration.json}
cd $R && export PYTHONPATH=$R
VN="/work/main/.venv/bin/python -m vllm_nexus.cli"
echo "pred start $(date -u +%FT%TZ)" >> $D/windows.txt
$VN simulate fidelity --out $D/ca --trace $T/ca63218.jsonl --programs 120 --seed 63218 --sweep-rates 2,12 \
  --reps $N --think-scale 0.3 --engine-args "$E" --hardware $P --skip-real > $D/ca/pred.out 2>&1 &
$VN simulate fidelity --out $D/mr --trace $T/mr29471.jsonl --programs 100 --seed 29471 --sweep-rates 6,12 \
  --reps $N --think-scale 0.3 --engine-args "$E" --hardware $P --skip-real > $D/mr/pred.out 2>&1
wait
echo "pred end $(date -u +%FT%TZ)" >> $D/windows.txt
