#!/bin/bash
# window U, everything in order (pre-registered in ../README.md).
R=/work/main/docs/results/fidU-2026-12-06/scripts
export FID_CODE=/tmp/fidU/code FID_OUT=/tmp/fidU/U FID_TRACES=/tmp/fidU/traces
mkdir -p $FID_OUT /tmp/fidU/traces
VN="/work/main/.venv/bin/python -m vllm_nexus.cli"
DEADLINE=$(date -u -d "2026-12-06 07:30" +%s)   # no real-run step starts after 07:30 UTC
rm -f /tmp/fidU/stalls.stop
python3 $R/stallsU.py $FID_OUT/stalls.jsonl /tmp/fidU/stalls.stop &
echo "stall probe pid $! $(date -u +%T)"
echo "traces start $(date -u +%T)"
/work/wt/shared bash -c "cd /tmp/fidU/code && export PYTHONPATH=/tmp/fidU/code && \
  $VN bench --workload coding-agent --programs 300 --seed 63218 --calls-scale 0.25 --tokens-scale 0.25 --rate 1 --dump-trace /tmp/fidU/traces/ca63218.jsonl > /tmp/fidU/trace-ca.out 2>&1 && \
  $VN bench --workload map-reduce --programs 300 --seed 29471 --calls-scale 0.25 --tokens-scale 0.25 --rate 1 --dump-trace /tmp/fidU/traces/mr29471.jsonl > /tmp/fidU/trace-mr.out 2>&1"
echo "traces rc=$? $(date -u +%T)"; md5sum /tmp/fidU/traces/*.jsonl
echo "start calibrate start $(date -u +%T)"
/work/wt/exclusive bash -c "timeout 590 bash $R/calibU.sh start"
echo "end calibrate start rc=$? $(date -u +%T)"
for step in "ca 1" "ca 2" "mr 2" "ca 3" "ca 4" "mr 4"; do
  if [ "$(date -u +%s)" -ge "$DEADLINE" ]; then echo "skip $step (after 07:30) $(date -u +%T)"; continue; fi
  echo "start $step $(date -u +%T)"
  /work/wt/exclusive bash -c "timeout 590 bash $R/winU.sh $step"
  echo "end $step rc=$? $(date -u +%T)"
  ss -ltnp | grep -E ':81[0-9][0-9]' && echo "WARNING: a server outlived its command"
done
echo "start calibrate end $(date -u +%T)"
/work/wt/exclusive bash -c "timeout 590 bash $R/calibU.sh end"
echo "end calibrate end rc=$? $(date -u +%T)"
touch /tmp/fidU/stalls.stop
/work/wt/shared bash -c "timeout 590 bash $R/bracketU.sh"
echo "bracket rc=$? $(date -u +%T)"
/work/wt/shared bash -c "timeout 1200 bash $R/predU.sh 4"
echo "pred rc=$? $(date -u +%T)"
# registered diagnostics (not verdicts): the midpoint profile
python3 $R/midprofile.py $FID_OUT/calibration-start.json $FID_OUT/calibration-end.json $FID_OUT/calibration-mid.json
for d in mid; do
  /work/wt/shared bash -c "timeout 1200 bash $R/diagU.sh $d $FID_OUT/calibration-$d.json 4" > /tmp/fidU/diag-$d.out 2>&1
  echo "diag $d rc=$? $(date -u +%T)"
done
echo "chain done $(date -u +%T)"
