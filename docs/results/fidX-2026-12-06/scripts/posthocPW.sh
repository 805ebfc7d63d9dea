#!/bin/bash
# Post hoc over committed windows: variants of each window's own midpoint profile, simulated with
# the working tree's simulator -> /tmp/ph/VAR/X/{ca,mr}/{sched}/result.json; score with scoreC.py.
#   base: calibration-mid.json as committed
#   C:    + frontend_ingress_queued_s measured from the calibration logs (W's candidate_profiles.py)
#   R:    + resumed_call_delay_s = the profile's frontend_call_delay_s
#   D:    C + R
# usage: bash posthoc.sh "base C R D" P Q R ...
VARS=$1; shift
cd /work/main
H=/work/main/docs/results/fidW-2026-12-06/scripts
for X in "$@"; do
  D=$(ls -d /work/main/docs/results/fid$X-*); T=/tmp/ph/traces/$X; mkdir -p $T
  for g in $D/$X-traces/*.jsonl.gz; do [ -f $T/$(basename $g .gz) ] || gunzip -c $g > $T/$(basename $g .gz); done
  CA=$(ls $T/ca*.jsonl); MR=$(ls $T/mr*.jsonl)
  sca=$(basename $CA .jsonl); sca=${sca#ca}; smr=$(basename $MR .jsonl); smr=${smr#mr}
  P=/tmp/ph/profiles/$X; mkdir -p $P
  cp $D/$X/calibration-mid.json $P/base.json
  [ -f $P/C.json ] || { .venv/bin/python $H/candidate_profiles.py $D/$X $P/c > /dev/null && cp $P/c/calibration-mid-C.json $P/C.json; }
  .venv/bin/python - $P <<'PY'
import json, sys
P = sys.argv[1]
for src, dst in (('base', 'R'), ('C', 'D')):
    d = json.load(open(f'{P}/{src}.json'))
    d['hardware']['resumed_call_delay_s'] = d['hardware']['frontend_call_delay_s']
    json.dump(d, open(f'{P}/{dst}.json', 'w'), indent=1)
PY
  for V in $VARS; do
    O=/tmp/ph/$V/$X
    for S in stock-fcfs vllm_nexus; do
      .venv/bin/vllm-nexus simulate --trace $CA --programs 120 --sweep-rates 2,12 --seed $sca --arrival-cv 1 --think-scale 0.3 --hardware $P/$V.json --model tiny --scheduler $S --max-num-seqs 8 --max-model-len 4096 --out $O/ca --no-progress --no-plots > /dev/null 2>&1 || echo "fail $X $V ca $S" &
      .venv/bin/vllm-nexus simulate --trace $MR --programs 100 --sweep-rates 6,12 --seed $smr --arrival-cv 1 --think-scale 0.3 --hardware $P/$V.json --model tiny --scheduler $S --max-num-seqs 8 --max-model-len 4096 --out $O/mr --no-progress --no-plots > /dev/null 2>&1 || echo "fail $X $V mr $S"
      wait
    done
  done
  echo "done $X $(date -u +%T)"
done
