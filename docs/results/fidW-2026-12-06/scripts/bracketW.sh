#!/bin/bash
# window W's registered profile: the median fit of the six calibration servers, three before
# and three after the real runs (`simulate calibrate --from-log`), -> calibration.json.
# usage: FID_CODE=... FID_OUT=... /work/wt/shared timeout 590 bash bracketW.sh
R=${FID_CODE:?}; D=$(realpath ${FID_OUT:?})
VN="/work/main/.venv/bin/python -m vllm_nexus.cli"
cd $R && export PYTHONPATH=$R
LOGS=$(ls $D/calibration-start-steps*.jsonl $D/calibration-end-steps*.jsonl | grep -v machine)
echo "bracket fit from: $LOGS" >> $D/windows.txt
$VN simulate calibrate --from-log $LOGS --out $D/calibration.json
