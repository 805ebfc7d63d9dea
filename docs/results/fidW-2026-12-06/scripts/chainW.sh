#!/bin/bash
# window W, everything in order (pre-registered in ../README.md).
R=/work/main/docs/results/fidW-2026-12-06/scripts
export FID_CODE=/tmp/fidW/code FID_OUT=/tmp/fidW/W FID_TRACES=/tmp/fidW/traces
mkdir -p $FID_OUT /tmp/fidW/traces
VN="/work/main/.venv/bin/python -m vllm_nexus.cli"
DEADLINE=$(date -u -d "2026-12-06 11:40" +%s)   # no real-run step starts after 11:40 UTC
rm -f /tmp/fidW/stalls.stop
python3 $R/stallsW.py $FID_OUT/stalls.jsonl /tmp/fidW/stalls.stop &
echo "stall probe pid $! $(date -u +%T)"
echo "traces start $(date -u +%T)"
/work/wt/shared bash -c "cd /tmp/fidW/code && export PYTHONPATH=/tmp/fidW/code && \
  $VN bench --workload coding-agent --programs 300 --seed 58213 --calls-scale 0.25 --tokens-scale 0.25 --rate 1 --dump-trace /tmp/fidW/traces/ca58213.jsonl > /tmp/fidW/trace-ca.out 2>&1 && \
  $VN bench --workload map-reduce --programs 300 --seed 73904 --calls-scale 0.25 --tokens-scale 0.25 --rate 1 --dump-trace /tmp/fidW/traces/mr73904.jsonl > /tmp/fidW/trace-mr.out 2>&1"
echo "traces rc=$? $(date -u +%T)"; md5sum /tmp/fidW/traces/*.jsonl
echo "start calibrate start $(date -u +%T)"
/work/wt/exclusive bash -c "timeout 590 bash $R/calibW.sh start"
echo "end calibrate start rc=$? $(date -u +%T)"
N=0
for step in "ca 1" "ca 2" "mr 2" "ca 3" "ca 4" "mr 4" "ca 5" "ca 6" "mr 6"; do
  if [ "$(date -u +%s)" -ge "$DEADLINE" ]; then echo "skip $step (after 11:40) $(date -u +%T)"; continue; fi
  echo "start $step $(date -u +%T)"
  /work/wt/exclusive bash -c "timeout 590 bash $R/winW.sh $step"
  echo "end $step rc=$? $(date -u +%T)"
  case $step in mr*) N=${step#mr };; esac
  ss -ltnp | grep -E ':81[0-9][0-9]' && echo "WARNING: a server outlived its command"
done
echo "repetitions complete in both families: $N"
echo "start calibrate end $(date -u +%T)"
/work/wt/exclusive bash -c "timeout 590 bash $R/calibW.sh end"
echo "end calibrate end rc=$? $(date -u +%T)"
touch /tmp/fidW/stalls.stop
# the midpoint of the start and end calibrations (both predictors start from it)
python3 $R/midprofile.py $FID_OUT/calibration-start.json $FID_OUT/calibration-end.json $FID_OUT/calibration-mid.json
echo "midpoint rc=$? $(date -u +%T)"
# no prediction here: predW.sh runs after the candidate predictor is frozen (../README.md)
echo "chain done $(date -u +%T)"
