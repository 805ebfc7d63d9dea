#!/bin/bash
# window AC: calibrate this host, frozen code, ports 8100-8199.
#   calibAC.sh start   before the real runs (three servers, median fit) -> calibration-start.json
#   calibAC.sh repK    before real-run step K+1, K = 1..8 (ONE server, the product's
#                      `simulate fidelity --hardware interleave` size)    -> calibration-repK.json
#   calibAC.sh end     after the real runs (three servers, median fit)  -> calibration-end.json
#   (step logs beside each: calibration-<tag>-steps*.jsonl)
# usage: FID_CODE=... FID_OUT=... /work/wt/exclusive timeout 590 bash calibAC.sh start|repK|end
R=${FID_CODE:?}; D=${FID_OUT:?}; PH=${1:?start|repK|end}; mkdir -p $D; D=$(realpath $D)
case $PH in start|end) SERVERS=3 ;; rep[1-9]) SERVERS=1 ;; *) echo "bad phase $PH" >&2; exit 2 ;; esac
export VLLM_NEXUS_PORT_RANGE=8100-8199
VN="/work/main/.venv/bin/python -m vllm_nexus.cli"
cd $R && export PYTHONPATH=$R
echo "calibrate $PH start $(date -u +%FT%TZ) loadavg $(cat /proc/loadavg)" >> $D/windows.txt
$VN simulate probe --out $D/probes.jsonl --label before-calibrate-$PH
$VN simulate calibrate --servers $SERVERS --out $D/calibration-$PH.json --log $D/calibration-$PH-steps.jsonl; rc=$?
echo "calibrate $PH end $(date -u +%FT%TZ) rc=$rc" >> $D/windows.txt
$VN simulate probe --out $D/probes.jsonl --label after-calibrate-$PH
