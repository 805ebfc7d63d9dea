#!/bin/bash
# One exclusive command: probe, `simulate calibrate` (designed load only), probe -- a fresh
# cpu-here calibration of this host for the packaged per-host profile (hostprofile-2026-12-04g).
# usage: /work/wt/exclusive timeout 600 bash calib.sh OUT_DIR
D=${1:?out dir}; mkdir -p $D
export VLLM_NEXUS_PORT_RANGE=8100-8299 VLLM_NEXUS_CACHE=$D/cache
VN="/work/main/.venv/bin/python -m vllm_nexus.cli"
echo "start $(date -u +%FT%TZ) loadavg $(cat /proc/loadavg) head $(git -C /work/main log --oneline -1)"
$VN simulate probe --out $D/probes.jsonl --label before-calibration
$VN simulate calibrate --out $D/calibration.json --log $D/calibration-steps.jsonl; rc=$?
echo "calib end $(date -u +%FT%TZ) rc=$rc"
$VN simulate probe --out $D/probes.jsonl --label after-calibration
echo "end $(date -u +%FT%TZ) loadavg $(cat /proc/loadavg)"
