#!/bin/bash
# posthoc_median.sh LETTER FOLDER CA_SEED MR_SEED REPS FLOOR_PY : median_by.py on the window's
# calibration logs, then the window's prediction (as its pred*.sh: ca 120 programs at 2,12/s,
# mr 100 at 6,12/s, think scale 0.3, max-num-seqs 8) with each ranking's midpoint, read by
# the window's floor script. Post hoc: the real runs are the committed ones (linked, not rerun).
L=$1; F=$2; CAS=$3; MRS=$4; N=$5; FLOOR=$6
H=/work/main/docs/results; W=$H/$F/$L; O=/tmp/medby/$L; mkdir -p $O
VN="/work/main/.venv/bin/python -m vllm_nexus.cli"
cd /work/main
.venv/bin/python $H/lean-2026-12-06/median_by.py $W $O > $O/median_by.txt || { echo "median_by failed"; exit 1; }
zcat $H/$F/$L-traces/ca$CAS.jsonl.gz > $O/ca.jsonl; zcat $H/$F/$L-traces/mr$MRS.jsonl.gz > $O/mr.jsonl
E="--max-num-seqs 8 --max-model-len 4096"
for rank in quiet streaming; do
  D=$O/$rank
  for fam in ca mr; do
    mkdir -p $D/$fam; for x in real steps machine; do [ -e $W/$fam/$x ] && ln -sfn $W/$fam/$x $D/$fam/$x; done
  done
  $VN simulate fidelity --out $D/ca --trace $O/ca.jsonl --programs 120 --seed $CAS --sweep-rates 2,12 --reps $N --think-scale 0.3 --engine-args "$E" --hardware $O/calibration-mid-$rank.json --real-stat median --skip-real > $D/ca.out 2>&1 || { echo "$rank ca failed"; tail -3 $D/ca.out; }
  $VN simulate fidelity --out $D/mr --trace $O/mr.jsonl --programs 100 --seed $MRS --sweep-rates 6,12 --reps $N --think-scale 0.3 --engine-args "$E" --hardware $O/calibration-mid-$rank.json --real-stat median --skip-real > $D/mr.out 2>&1 || { echo "$rank mr failed"; tail -3 $D/mr.out; }
  .venv/bin/python $FLOOR $D sim-alone > $D/readings.md
  echo "$L $rank: $(grep -E '^- reading 1' $D/readings.md)"
done
