#!/bin/bash
# usage: [QUEUED_S=s] posthocV.sh base|parallel|queued W   (QUEUED_S: qmeasureV.py /tmp/fidW/W) -> /tmp/simz/ph-VARIANT-W/{ca,mr}/{sched}/result.json
V=$1; W=$2; D=/tmp/fid$W
CA=$(ls $D/traces/ca*.jsonl); MR=$(ls $D/traces/mr*.jsonl)
sca=$(basename $CA .jsonl); sca=${sca#ca}; smr=$(basename $MR .jsonl); smr=${smr#mr}
cd /work/main
for S in stock-fcfs vllm_nexus; do
  .venv/bin/python /work/main/docs/results/fidV-2026-12-06/scripts/ingressV.py $V simulate --trace $CA --programs 120 --sweep-rates 2,12 --seed $sca --arrival-cv 1 --think-scale 0.3 --hardware $D/$W/calibration-mid.json --model tiny --scheduler $S --max-num-seqs 8 --max-model-len 4096 --out /tmp/simz/ph-$V-$W/ca --no-progress --no-plots > /dev/null 2>&1 || echo "fail ca $S"
  .venv/bin/python /work/main/docs/results/fidV-2026-12-06/scripts/ingressV.py $V simulate --trace $MR --programs 100 --sweep-rates 6,12 --seed $smr --arrival-cv 1 --think-scale 0.3 --hardware $D/$W/calibration-mid.json --model tiny --scheduler $S --max-num-seqs 8 --max-model-len 4096 --out /tmp/simz/ph-$V-$W/mr --no-progress --no-plots > /dev/null 2>&1 || echo "fail mr $S"
done
echo "done $V $W"
