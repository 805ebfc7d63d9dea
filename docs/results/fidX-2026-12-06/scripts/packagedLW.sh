#!/bin/bash
# Post hoc after X (the product-decision rule of ../README.md, reading 4): the packaged Intel profile
# as it is (old) and with candidate D's two values (D: frontend_ingress_queued_s 0.919 ms from its own calibration log, resumed_call_delay_s = its frontend_call_delay_s) on the committed windows L-W
# -> /tmp/pkgD/{old,D}/X/{ca,mr}/...; scored by `python3 scoreC.py /tmp/pkgD/old L ... W` (and D).
# usage: /work/wt/shared bash packagedLW.sh L M N O P Q R S T U V W
cd /work/main
mkdir -p /tmp/pkgD
cp vllm_nexus/perf/profiles/cpu-here-2d9348e771d5.json /tmp/pkgD/old.json
.venv/bin/python - <<'PY'
import json
d = json.load(open('/tmp/pkgD/old.json'))
d['hardware']['frontend_ingress_queued_s'] = 0.000919
d['hardware']['resumed_call_delay_s'] = d['hardware']['frontend_call_delay_s']
json.dump(d, open('/tmp/pkgD/D.json', 'w'), indent=1)
PY
for X in "$@"; do
  D=$(ls -d /work/main/docs/results/fid$X-*); T=/tmp/pkgD/traces/$X; mkdir -p $T
  for g in $D/$X-traces/*.jsonl.gz; do gunzip -c $g > $T/$(basename $g .gz); done
  CA=$(ls $T/ca*.jsonl); MR=$(ls $T/mr*.jsonl)
  sca=$(basename $CA .jsonl); sca=${sca#ca}; smr=$(basename $MR .jsonl); smr=${smr#mr}
  for V in old D; do
    O=/tmp/pkgD/$V/$X
    for S in stock-fcfs vllm_nexus; do
      .venv/bin/vllm-nexus simulate --trace $CA --programs 120 --sweep-rates 2,12 --seed $sca --arrival-cv 1 --think-scale 0.3 --hardware /tmp/pkgD/$V.json --model tiny --scheduler $S --max-num-seqs 8 --max-model-len 4096 --out $O/ca --no-progress --no-plots > /dev/null 2>&1 || echo "fail $X $V ca $S" &
      .venv/bin/vllm-nexus simulate --trace $MR --programs 100 --sweep-rates 6,12 --seed $smr --arrival-cv 1 --think-scale 0.3 --hardware /tmp/pkgD/$V.json --model tiny --scheduler $S --max-num-seqs 8 --max-model-len 4096 --out $O/mr --no-progress --no-plots > /dev/null 2>&1 || echo "fail $X $V mr $S"
      wait
    done
  done
  echo "done $X $(date -u +%T)"
done
