#!/bin/bash
# window O step 0: calibrate this host (three servers, median fit), frozen code, ports 8100-8199.
# usage: FID_CODE=... FID_OUT=... /work/wt/exclusive timeout 590 bash calibO.sh
R=${FID_CODE:?}; D=${FID_OUT:?}; mkdir -p $D; D=$(realpath $D)
export VLLM_NEXUS_PORT_RANGE=8100-8199
VN="/work/main/.venv/bin/python -m vllm_nexus.cli"
cd $R && export PYTHONPATH=$R
echo "calibrate start $(date -u +%FT%TZ) loadavg $(cat /proc/loadavg)" >> $D/windows.txt
$VN simulate probe --out $D/probes.jsonl --label before-calibrate
$VN simulate calibrate --servers 3 --out $D/calibration.json --log $D/calibration-steps.jsonl; rc=$?
echo "calibrate end $(date -u +%FT%TZ) rc=$rc" >> $D/windows.txt
$VN simulate probe --out $D/probes.jsonl --label after-calibrate
