#!/bin/bash
# Post hoc (2026-12-07, after AC; decides nothing): is AC's gain the interleaved moments, or only
# averaging more servers? Predict a window with the centre of the six servers of its start and end
# calibrations (each refitted alone by ../../lean-2026-12-06/median_by.py: `calibrate --from-log
# LOG --live-from calibration-PH.json`, so the live-measured fields are the phase's), no
# interleaved calibration; read by the window's floor script. The real runs are the committed ones.
# usage: centre6.sh LETTER FOLDER CA_SEED MR_SEED REPS FLOOR_PY [REFITS_DIR]
L=$1; F=$2; CAS=$3; MRS=$4; N=$5; FLOOR=$6; O=${7:-/tmp/cen6/$L}
H=/work/main/docs/results; W=$H/$F/$L; mkdir -p $O
VN="/work/main/.venv/bin/python -m vllm_nexus.cli"
cd /work/main
[ -e $O/end-server3.json ] || .venv/bin/python $H/lean-2026-12-06/median_by.py $W $O > $O/median_by.txt || { echo "median_by failed"; exit 1; }
$VN simulate calibrate --midpoint $O/start-server{1,2,3}.json $O/end-server{1,2,3}.json --out $O/centre6.json > /dev/null || exit 1
zcat $H/$F/$L-traces/ca$CAS.jsonl.gz > $O/ca.jsonl; zcat $H/$F/$L-traces/mr$MRS.jsonl.gz > $O/mr.jsonl
E="--max-num-seqs 8 --max-model-len 4096"; D=$O/centre6
for fam in ca mr; do
  mkdir -p $D/$fam; for x in real steps machine; do [ -e $W/$fam/$x ] && ln -sfn $W/$fam/$x $D/$fam/$x; done
done
$VN simulate fidelity --out $D/ca --trace $O/ca.jsonl --programs 120 --seed $CAS --sweep-rates 2,12 --reps $N --think-scale 0.3 --engine-args "$E" --hardware $O/centre6.json --real-stat median --skip-real > $D/ca.out 2>&1 &
$VN simulate fidelity --out $D/mr --trace $O/mr.jsonl --programs 100 --seed $MRS --sweep-rates 6,12 --reps $N --think-scale 0.3 --engine-args "$E" --hardware $O/centre6.json --real-stat median --skip-real > $D/mr.out 2>&1
wait
.venv/bin/python $FLOOR $D sim-alone > $O/centre6-readings.md
echo "$L centre6: $(grep -E '^- reading 1' $O/centre6-readings.md)"
