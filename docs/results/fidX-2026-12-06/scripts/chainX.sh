#!/bin/bash
# window X, everything in order (pre-registered in ../README.md).
R=/work/main/docs/results/fidX-2026-12-06/scripts
export FID_CODE=/tmp/fidX/code FID_OUT=/tmp/fidX/X FID_TRACES=/tmp/fidX/traces
mkdir -p $FID_OUT /tmp/fidX/traces
VN="/work/main/.venv/bin/python -m vllm_nexus.cli"
DEADLINE=$(date -u -d "2026-12-06 15:05" +%s)   # no real-run step starts after 15:05 UTC
rm -f /tmp/fidX/stalls.stop
python3 $R/stallsX.py $FID_OUT/stalls.jsonl /tmp/fidX/stalls.stop &
echo "stall probe pid $! $(date -u +%T)"
echo "traces start $(date -u +%T)"
/work/wt/shared bash -c "cd /tmp/fidX/code && export PYTHONPATH=/tmp/fidX/code && \
  $VN bench --workload coding-agent --programs 300 --seed 61847 --calls-scale 0.25 --tokens-scale 0.25 --rate 1 --dump-trace /tmp/fidX/traces/ca61847.jsonl > /tmp/fidX/trace-ca.out 2>&1 && \
  $VN bench --workload map-reduce --programs 300 --seed 27491 --calls-scale 0.25 --tokens-scale 0.25 --rate 1 --dump-trace /tmp/fidX/traces/mr27491.jsonl > /tmp/fidX/trace-mr.out 2>&1"
echo "traces rc=$? $(date -u +%T)"; md5sum /tmp/fidX/traces/*.jsonl
echo "start calibrate start $(date -u +%T)"
/work/wt/exclusive bash -c "timeout 590 bash $R/calibX.sh start"
echo "end calibrate start rc=$? $(date -u +%T)"
N=0
for step in "ca 1" "ca 2" "mr 2" "ca 3" "ca 4" "mr 4" "ca 5" "ca 6" "mr 6"; do
  if [ "$(date -u +%s)" -ge "$DEADLINE" ]; then echo "skip $step (after 15:05) $(date -u +%T)"; continue; fi
  echo "start $step $(date -u +%T)"
  /work/wt/exclusive bash -c "timeout 590 bash $R/winX.sh $step"
  echo "end $step rc=$? $(date -u +%T)"
  case $step in mr*) N=${step#mr };; esac
  ss -ltnp | grep -E ':81[0-9][0-9]' && echo "WARNING: a server outlived its command"
done
echo "repetitions complete in both families: $N"
echo "start calibrate end $(date -u +%T)"
/work/wt/exclusive bash -c "timeout 590 bash $R/calibX.sh end"
echo "end calibrate end rc=$? $(date -u +%T)"
touch /tmp/fidX/stalls.stop
# the midpoint of the start and end calibrations (both predictors start from it)
python3 $R/midprofile.py $FID_OUT/calibration-start.json $FID_OUT/calibration-end.json $FID_OUT/calibration-mid.json
echo "midpoint rc=$? $(date -u +%T)"
# both predictions (M and the candidate D, frozen before this chain started)
/work/wt/shared bash -c "timeout 1200 bash $R/predD.sh $N"
echo "pred rc=$? $(date -u +%T)"
echo "chain done $(date -u +%T)"
