#!/bin/bash
# window V, everything in order (pre-registered in ../README.md).
R=/work/main/docs/results/fidV-2026-12-06/scripts
export FID_CODE=/tmp/fidV/code FID_OUT=/tmp/fidV/V FID_TRACES=/tmp/fidV/traces
mkdir -p $FID_OUT /tmp/fidV/traces
VN="/work/main/.venv/bin/python -m vllm_nexus.cli"
DEADLINE=$(date -u -d "2026-12-06 09:50" +%s)   # no real-run step starts after 09:50 UTC
rm -f /tmp/fidV/stalls.stop
python3 $R/stallsV.py $FID_OUT/stalls.jsonl /tmp/fidV/stalls.stop &
echo "stall probe pid $! $(date -u +%T)"
echo "traces start $(date -u +%T)"
/work/wt/shared bash -c "cd /tmp/fidV/code && export PYTHONPATH=/tmp/fidV/code && \
  $VN bench --workload coding-agent --programs 300 --seed 47316 --calls-scale 0.25 --tokens-scale 0.25 --rate 1 --dump-trace /tmp/fidV/traces/ca47316.jsonl > /tmp/fidV/trace-ca.out 2>&1 && \
  $VN bench --workload map-reduce --programs 300 --seed 81529 --calls-scale 0.25 --tokens-scale 0.25 --rate 1 --dump-trace /tmp/fidV/traces/mr81529.jsonl > /tmp/fidV/trace-mr.out 2>&1"
echo "traces rc=$? $(date -u +%T)"; md5sum /tmp/fidV/traces/*.jsonl
echo "start calibrate start $(date -u +%T)"
/work/wt/exclusive bash -c "timeout 590 bash $R/calibV.sh start"
echo "end calibrate start rc=$? $(date -u +%T)"
N=0
for step in "ca 1" "ca 2" "mr 2" "ca 3" "ca 4" "mr 4" "ca 5" "ca 6" "mr 6"; do
  if [ "$(date -u +%s)" -ge "$DEADLINE" ]; then echo "skip $step (after 09:50) $(date -u +%T)"; continue; fi
  echo "start $step $(date -u +%T)"
  /work/wt/exclusive bash -c "timeout 590 bash $R/winV.sh $step"
  echo "end $step rc=$? $(date -u +%T)"
  case $step in mr*) N=${step#mr };; esac
  ss -ltnp | grep -E ':81[0-9][0-9]' && echo "WARNING: a server outlived its command"
done
echo "repetitions complete in both families: $N"
echo "start calibrate end $(date -u +%T)"
/work/wt/exclusive bash -c "timeout 590 bash $R/calibV.sh end"
echo "end calibrate end rc=$? $(date -u +%T)"
touch /tmp/fidV/stalls.stop
# the registered profile: the midpoint of the start and end calibrations
python3 $R/midprofile.py $FID_OUT/calibration-start.json $FID_OUT/calibration-end.json $FID_OUT/calibration-mid.json
echo "midpoint rc=$? $(date -u +%T)"
/work/wt/shared bash -c "FID_PROFILE=$FID_OUT/calibration-mid.json timeout 1200 bash $R/predV.sh $N"
echo "pred rc=$? $(date -u +%T)"
# registered diagnostics (not verdicts): the median fit of the six (U's profile) and the start calibration alone
/work/wt/shared bash -c "timeout 590 bash $R/bracketV.sh"
echo "bracket rc=$? $(date -u +%T)"
for d in bracket start; do
  P=$FID_OUT/calibration.json; [ $d = start ] && P=$FID_OUT/calibration-start.json
  /work/wt/shared bash -c "timeout 1200 bash $R/diagV.sh $d $P $N" > /tmp/fidV/diag-$d.out 2>&1
  echo "diag $d rc=$? $(date -u +%T)"
done
echo "chain done $(date -u +%T)"
