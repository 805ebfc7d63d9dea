#!/bin/bash
# posthoc.sh LETTER FOLDER CA_SEED CA_RATES MR_SEED MR_RATES REPS CA_PROGS MR_PROGS : refit start/end with the working tree's code, midpoint, predict, read
L=$1; F=$2; CAS=$3; CAR=$4; MRS=$5; MRR=$6; N=$7; CAP=${8:-120}; MRP=${9:-100}
W=/work/main/docs/results/$F/$L; O=/tmp/refit/$L; mkdir -p $O
VN="/work/main/.venv/bin/python -m vllm_nexus.cli"
cd /work/main
for ph in start end; do
  $VN simulate calibrate --from-log $W/calibration-$ph-steps.jsonl.gz $W/calibration-$ph-steps-server2.jsonl.gz $W/calibration-$ph-steps-server3.jsonl.gz --live-from $W/calibration-$ph.json --out $O/cal-$ph.json > $O/cal-$ph.out 2>&1 || { echo "refit $ph failed"; tail -3 $O/cal-$ph.out; exit 1; }
done
$VN simulate calibrate --midpoint $O/cal-start.json $O/cal-end.json --out $O/cal-mid.json > /dev/null || exit 1
T=/work/main/docs/results/$F/$L-traces
for fam in ca mr; do
  mkdir -p $O/$fam; for x in real steps machine; do [ -e $W/$fam/$x ] && ln -sfn $W/$fam/$x $O/$fam/$x; done
done
zcat $T/ca$CAS.jsonl.gz > $O/ca.jsonl; zcat $T/mr$MRS.jsonl.gz > $O/mr.jsonl
E="--max-num-seqs 8 --max-model-len 4096"
$VN simulate fidelity --out $O/ca --trace $O/ca.jsonl --programs $CAP --seed $CAS --sweep-rates $CAR --reps $N --think-scale 0.3 --engine-args "$E" --hardware $O/cal-mid.json --real-stat median --skip-real > $O/ca.out 2>&1 || { echo ca fail; tail $O/ca.out; }
$VN simulate fidelity --out $O/mr --trace $O/mr.jsonl --programs $MRP --seed $MRS --sweep-rates $MRR --reps $N --think-scale 0.3 --engine-args "$E" --hardware $O/cal-mid.json --real-stat median --skip-real > $O/mr.out 2>&1 || { echo mr fail; tail $O/mr.out; }
.venv/bin/python docs/results/fidY-2026-12-06/scripts/floorY.py $O sim-alone > $O/readings.md
grep -E "reading 1|reading 2" $O/readings.md
python3 -c "import json;h=json.load(open('$O/cal-mid.json'))['hardware'];print('mid: call', round(h['frontend_call_delay_s']*1e3,3), 'share', round(h['frontend_more_calls_share'],3))"
