#!/bin/bash
# window S, everything in order (pre-registered in ../README.md).
R=/work/main/docs/results/fidS-2026-12-06/scripts
export FID_CODE=/tmp/fidS/code FID_OUT=/tmp/fidS/S FID_TRACES=/tmp/fidS/traces
mkdir -p $FID_OUT /tmp/fidS/traces
VN="/work/main/.venv/bin/python -m vllm_nexus.cli"
DEADLINE=$(date -u -d "2026-12-06 04:15" +%s)   # no real-run step starts after 04:15 UTC
rm -f /tmp/fidS/stalls.stop
python3 $R/stallsS.py $FID_OUT/stalls.jsonl /tmp/fidS/stalls.stop &
echo "stall probe pid $! $(date -u +%T)"
echo "traces start $(date -u +%T)"
/work/wt/shared bash -c "cd /tmp/fidS/code && export PYTHONPATH=/tmp/fidS/code && \
  $VN bench --workload coding-agent --programs 300 --seed 34804 --calls-scale 0.25 --tokens-scale 0.25 --rate 1 --dump-trace /tmp/fidS/traces/ca34804.jsonl > /tmp/fidS/trace-ca.out 2>&1 && \
  $VN bench --workload map-reduce --programs 300 --seed 24324 --calls-scale 0.25 --tokens-scale 0.25 --rate 1 --dump-trace /tmp/fidS/traces/mr24324.jsonl > /tmp/fidS/trace-mr.out 2>&1"
echo "traces rc=$? $(date -u +%T)"; md5sum /tmp/fidS/traces/*.jsonl
echo "start calibrate start $(date -u +%T)"
/work/wt/exclusive bash -c "timeout 590 bash $R/calibS.sh start"
echo "end calibrate start rc=$? $(date -u +%T)"
for step in "ca 1" "ca 2" "mr 2" "ca 3" "ca 4" "mr 4" "ca 5" "ca 6" "mr 6"; do
  if [ "$(date -u +%s)" -ge "$DEADLINE" ]; then echo "skip $step (after 04:15) $(date -u +%T)"; continue; fi
  echo "start $step $(date -u +%T)"
  /work/wt/exclusive bash -c "timeout 590 bash $R/winS.sh $step"
  echo "end $step rc=$? $(date -u +%T)"
  ss -ltnp | grep -E ':81[0-9][0-9]' && echo "WARNING: a server outlived its command"
done
echo "start calibrate end $(date -u +%T)"
/work/wt/exclusive bash -c "timeout 590 bash $R/calibS.sh end"
echo "end calibrate end rc=$? $(date -u +%T)"
touch /tmp/fidS/stalls.stop
/work/wt/shared bash -c "timeout 590 bash $R/bracketS.sh"
echo "bracket rc=$? $(date -u +%T)"
/work/wt/shared bash -c "timeout 590 bash $R/predS.sh 6"
echo "pred rc=$? $(date -u +%T)"
# registered diagnostics (not verdicts): the midpoint profile; the start and end calibrations alone
python3 $R/midprofile.py $FID_OUT/calibration-start.json $FID_OUT/calibration-end.json $FID_OUT/calibration-mid.json
for d in mid start end; do
  /work/wt/shared bash -c "timeout 590 bash $R/diagS.sh $d $FID_OUT/calibration-$d.json 6" > /tmp/fidS/diag-$d.out 2>&1
  echo "diag $d rc=$? $(date -u +%T)"
done
echo "chain done $(date -u +%T)"
