#!/bin/bash
# the prediction (shared lock, one family per command): the window's calibration alone
# usage: /work/wt/shared timeout 900 bash pred.sh ca|mr [PROFILE [LABEL]]
#   PROFILE default $FID_OUT/calibration.json; LABEL names the report (fidelity-LABEL.md)
FAM=${1:?ca or mr}; D=${FID_OUT:?results dir}; P=${2:-$D/calibration.json}; L=${3:-window}
export PYTHONPATH=${FID_CODE:-$PWD}
VN="/work/main/.venv/bin/python -m vllm_nexus.cli"
E="--max-num-seqs 8 --max-model-len 4096"
TRACE=${FID_TRACE:-/tmp/tal/traces/coding-agent35.jsonl}
if [ "$FAM" = ca ]; then
    W=(--trace $TRACE --programs 200 --seed 35 --sweep-rates 12,24)
else
    W=(--workload map-reduce --programs 40 --seed 6700 --calls-scale 0.5 --tokens-scale 0.5
       --arrival-cv 1.0 --sweep-rates 2,4)
fi
echo "pred $FAM $L start $(date -u +%FT%TZ) profile $P code $PYTHONPATH" >> $D/windows.txt
$VN simulate fidelity --out $D/$FAM "${W[@]}" --reps 2 --think-scale 0.3 --engine-args "$E" \
    --hardware $P --skip-real; rc=$?
cp $D/$FAM/fidelity.md $D/$FAM/fidelity-$L.md; rm -rf $D/$FAM/sim-$L; cp -r $D/$FAM/sim-alone $D/$FAM/sim-$L
echo "pred $FAM $L end $(date -u +%FT%TZ) rc=$rc" >> $D/windows.txt
