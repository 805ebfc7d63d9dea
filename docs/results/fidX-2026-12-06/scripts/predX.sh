#!/bin/bash
# window X: `simulate fidelity --skip-real` per family with profile FID_PROFILE (the registered one: calibration-mid.json, the midpoint of the start and end calibrations)
# -> X/{ca,mr}/fidelity.md and sim-alone/ (registered); sim-probe-rescaled/ is a diagnostic
# usage: FID_CODE=... FID_OUT=... FID_TRACES=... /work/wt/shared timeout 590 bash predX.sh N
R=${FID_CODE:?}; D=$(realpath ${FID_OUT:?}); T=$(realpath ${FID_TRACES:?}); N=${1:?reps}
E="--max-num-seqs 8 --max-model-len 4096"
P=${FID_PROFILE:?the profile}
cd $R && export PYTHONPATH=$R
VN="/work/main/.venv/bin/python -m vllm_nexus.cli"
echo "pred start $(date -u +%FT%TZ)" >> $D/windows.txt
$VN simulate fidelity --out $D/ca --trace $T/ca61847.jsonl --programs 120 --seed 61847 --sweep-rates 2,12 \
  --reps $N --think-scale 0.3 --engine-args "$E" --hardware $P --skip-real > $D/ca/pred.out 2>&1 &
$VN simulate fidelity --out $D/mr --trace $T/mr27491.jsonl --programs 100 --seed 27491 --sweep-rates 6,12 \
  --reps $N --think-scale 0.3 --engine-args "$E" --hardware $P --skip-real > $D/mr/pred.out 2>&1
wait
echo "pred end $(date -u +%FT%TZ)" >> $D/windows.txt
