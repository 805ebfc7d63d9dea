#!/bin/bash
# Post hoc, after W (not a verdict): the packaged Intel profile before (82d7909) and after it got
# frontend_ingress_queued_s (0.919 ms from its own calibration log), on the committed windows L-V
# -> /tmp/pkg/{old,new}/X/{ca,mr}/...; scored by `python3 scoreC.py /tmp/pkg/old L ... V` (and new).
# usage: /work/wt/shared bash packagedLV.sh L M N O P Q R S T U V
cd /work/main
mkdir -p /tmp/pkg
git show 82d7909:vllm_nexus/perf/profiles/cpu-here-2d9348e771d5.json > /tmp/pkg/old.json
cp vllm_nexus/perf/profiles/cpu-here-2d9348e771d5.json /tmp/pkg/new.json
for X in "$@"; do
  D=$(ls -d /work/main/docs/results/fid$X-*); T=/tmp/pkg/traces/$X; mkdir -p $T
  for g in $D/$X-traces/*.jsonl.gz; do gunzip -c $g > $T/$(basename $g .gz); done
  CA=$(ls $T/ca*.jsonl); MR=$(ls $T/mr*.jsonl)
  sca=$(basename $CA .jsonl); sca=${sca#ca}; smr=$(basename $MR .jsonl); smr=${smr#mr}
  for V in old new; do
    O=/tmp/pkg/$V/$X
    for S in stock-fcfs vllm_nexus; do
      .venv/bin/vllm-nexus simulate --trace $CA --programs 120 --sweep-rates 2,12 --seed $sca --arrival-cv 1 --think-scale 0.3 --hardware /tmp/pkg/$V.json --model tiny --scheduler $S --max-num-seqs 8 --max-model-len 4096 --out $O/ca --no-progress --no-plots > /dev/null 2>&1 || echo "fail $X $V ca $S" &
      .venv/bin/vllm-nexus simulate --trace $MR --programs 100 --sweep-rates 6,12 --seed $smr --arrival-cv 1 --think-scale 0.3 --hardware /tmp/pkg/$V.json --model tiny --scheduler $S --max-num-seqs 8 --max-model-len 4096 --out $O/mr --no-progress --no-plots > /dev/null 2>&1 || echo "fail $X $V mr $S"
      wait
    done
  done
  echo "done $X $(date -u +%T)"
done
