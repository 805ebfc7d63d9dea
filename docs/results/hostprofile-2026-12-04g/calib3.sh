#!/bin/bash
# One exclusive command: three back-to-back `simulate calibrate` runs (probe before each and
# after the last) from the working tree given, to see how far calibrations of one host agree.
# usage: /work/wt/exclusive timeout 900 bash calib3.sh CODE_DIR OUT_DIR
R=${1:?code dir}; D=${2:?out dir}; mkdir -p $D
export PYTHONPATH=$R VLLM_NEXUS_PORT_RANGE=8100-8299 VLLM_NEXUS_CACHE=$D/cache
VN="/work/main/.venv/bin/python -m vllm_nexus.cli"
echo "start $(date -u +%FT%TZ) loadavg $(cat /proc/loadavg) code $R"
for k in 1 2 3; do
  $VN simulate probe --out $D/probes.jsonl --label before-calibration-$k
  $VN simulate calibrate --out $D/calibration-$k.json --log $D/calibration-steps-$k.jsonl; rc=$?
  echo "calib $k end $(date -u +%FT%TZ) rc=$rc"
done
$VN simulate probe --out $D/probes.jsonl --label after-calibrations
echo "end $(date -u +%FT%TZ) loadavg $(cat /proc/loadavg)"
