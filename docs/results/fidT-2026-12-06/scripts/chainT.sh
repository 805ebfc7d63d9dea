#!/bin/bash
# window T, everything in order (pre-registered in ../README.md).
R=/work/main/docs/results/fidT-2026-12-06/scripts
export FID_CODE=/tmp/fidT/code FID_OUT=/tmp/fidT/T FID_TRACES=/tmp/fidT/traces
mkdir -p $FID_OUT /tmp/fidT/traces
VN="/work/main/.venv/bin/python -m vllm_nexus.cli"
DEADLINE=$(date -u -d "2026-12-06 07:00" +%s)   # no real-run step starts after 07:00 UTC
rm -f /tmp/fidT/stalls.stop
python3 $R/stallsT.py $FID_OUT/stalls.jsonl /tmp/fidT/stalls.stop &
echo "stall probe pid $! $(date -u +%T)"
echo "traces start $(date -u +%T)"
/work/wt/shared bash -c "cd /tmp/fidT/code && export PYTHONPATH=/tmp/fidT/code && \
  $VN bench --workload coding-agent --programs 300 --seed 41873 --calls-scale 0.25 --tokens-scale 0.25 --rate 1 --dump-trace /tmp/fidT/traces/ca41873.jsonl > /tmp/fidT/trace-ca.out 2>&1 && \
  $VN bench --workload map-reduce --programs 300 --seed 17659 --calls-scale 0.25 --tokens-scale 0.25 --rate 1 --dump-trace /tmp/fidT/traces/mr17659.jsonl > /tmp/fidT/trace-mr.out 2>&1"
echo "traces rc=$? $(date -u +%T)"; md5sum /tmp/fidT/traces/*.jsonl
echo "start calibrate start $(date -u +%T)"
/work/wt/exclusive bash -c "timeout 590 bash $R/calibT.sh start"
echo "end calibrate start rc=$? $(date -u +%T)"
for step in "ca 1" "ca 2" "mr 2" "ca 3" "ca 4" "mr 4" "ca 5" "ca 6" "mr 6"; do
  if [ "$(date -u +%s)" -ge "$DEADLINE" ]; then echo "skip $step (after 07:00) $(date -u +%T)"; continue; fi
  echo "start $step $(date -u +%T)"
  /work/wt/exclusive bash -c "timeout 590 bash $R/winT.sh $step"
  echo "end $step rc=$? $(date -u +%T)"
  ss -ltnp | grep -E ':81[0-9][0-9]' && echo "WARNING: a server outlived its command"
done
echo "start calibrate end $(date -u +%T)"
/work/wt/exclusive bash -c "timeout 590 bash $R/calibT.sh end"
echo "end calibrate end rc=$? $(date -u +%T)"
touch /tmp/fidT/stalls.stop
/work/wt/shared bash -c "timeout 590 bash $R/bracketT.sh"
echo "bracket rc=$? $(date -u +%T)"
/work/wt/shared bash -c "timeout 1200 bash $R/predT.sh 6"
echo "pred rc=$? $(date -u +%T)"
# registered diagnostics (not verdicts): the midpoint profile; the start calibration alone
python3 $R/midprofile.py $FID_OUT/calibration-start.json $FID_OUT/calibration-end.json $FID_OUT/calibration-mid.json
for d in mid start; do
  /work/wt/shared bash -c "timeout 1200 bash $R/diagT.sh $d $FID_OUT/calibration-$d.json 6" > /tmp/fidT/diag-$d.out 2>&1
  echo "diag $d rc=$? $(date -u +%T)"
done
echo "chain done $(date -u +%T)"
