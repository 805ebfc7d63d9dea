#!/bin/bash
# window AB: calibrate this host (three servers, median fit), frozen code, ports 8100-8199.
#   calibAB.sh start   before the real runs -> calibration-start.json, calibration-start-steps*.jsonl
#   calibAB.sh end     after the real runs  -> calibration-end.json,   calibration-end-steps*.jsonl
# usage: FID_CODE=... FID_OUT=... /work/wt/exclusive timeout 590 bash calibAB.sh start|end
R=${FID_CODE:?}; D=${FID_OUT:?}; PH=${1:?start|end}; mkdir -p $D; D=$(realpath $D)
export VLLM_NEXUS_PORT_RANGE=8100-8199
VN="/work/main/.venv/bin/python -m vllm_nexus.cli"
cd $R && export PYTHONPATH=$R
echo "calibrate $PH start $(date -u +%FT%TZ) loadavg $(cat /proc/loadavg)" >> $D/windows.txt
$VN simulate probe --out $D/probes.jsonl --label before-calibrate-$PH
$VN simulate calibrate --servers 3 --out $D/calibration-$PH.json --log $D/calibration-$PH-steps.jsonl; rc=$?
echo "calibrate $PH end $(date -u +%FT%TZ) rc=$rc" >> $D/windows.txt
$VN simulate probe --out $D/probes.jsonl --label after-calibrate-$PH
