#!/bin/bash
# Post hoc over the committed windows P-V (W's pre-registered rule, ../README.md): candidate C's
# profiles (candidate_profiles.py) and main's simulator (the candidate's code) on each window's
# traces -> /tmp/pv/X/{ca,mr}/{scheduler}/result.json; scored by scoreC.py.
# usage: /work/wt/shared bash candidatePV.sh P Q R S T U V
#        BASE=1 ... : the committed calibration-mid.json instead (-> /tmp/pv-base/X), a check that
#        this command reproduces the committed sim-alone prediction (window V's is the midpoint)
cd /work/main
H=/work/main/docs/results/fidW-2026-12-06/scripts
for X in "$@"; do
  D=$(ls -d /work/main/docs/results/fid$X-*); O=/tmp/pv/$X; PROF=$O/calibration-mid-C.json
  if [ -n "$BASE" ]; then O=/tmp/pv-base/$X; PROF=$D/$X/calibration-mid.json; mkdir -p $O/traces
  else mkdir -p $O/traces; .venv/bin/python $H/candidate_profiles.py $D/$X $O || { echo "profiles failed $X"; continue; }; fi
  for g in $D/$X-traces/*.jsonl.gz; do gunzip -c $g > $O/traces/$(basename $g .gz); done
  CA=$(ls $O/traces/ca*.jsonl); MR=$(ls $O/traces/mr*.jsonl)
  sca=$(basename $CA .jsonl); sca=${sca#ca}; smr=$(basename $MR .jsonl); smr=${smr#mr}
  for S in stock-fcfs vllm_nexus; do
    .venv/bin/vllm-nexus simulate --trace $CA --programs 120 --sweep-rates 2,12 --seed $sca --arrival-cv 1 --think-scale 0.3 --hardware $PROF --model tiny --scheduler $S --max-num-seqs 8 --max-model-len 4096 --out $O/ca --no-progress --no-plots > $O/ca-$S.log 2>&1 || echo "fail $X ca $S" &
    .venv/bin/vllm-nexus simulate --trace $MR --programs 100 --sweep-rates 6,12 --seed $smr --arrival-cv 1 --think-scale 0.3 --hardware $PROF --model tiny --scheduler $S --max-num-seqs 8 --max-model-len 4096 --out $O/mr --no-progress --no-plots > $O/mr-$S.log 2>&1 || echo "fail $X mr $S"
    wait
  done
  echo "done $X $(date -u +%T)"
done
