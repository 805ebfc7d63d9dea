#!/bin/bash
# window AA, everything in order (pre-registered in ../README.md).
R=/work/main/docs/results/fidAA-2026-12-06/scripts
export FID_CODE=/tmp/fidAA/code FID_OUT=/tmp/fidAA/AA FID_TRACES=/tmp/fidAA/traces
mkdir -p $FID_OUT /tmp/fidAA/traces
VN="/work/main/.venv/bin/python -m vllm_nexus.cli"
DEADLINE=$(date -u -d "2026-12-06 20:50" +%s)   # no real-run step starts after 20:50 UTC
rm -f /tmp/fidAA/stalls.stop
python3 $R/stallsAA.py $FID_OUT/stalls.jsonl /tmp/fidAA/stalls.stop &
echo "stall probe pid $! $(date -u +%T)"
echo "traces start $(date -u +%T)"
/work/wt/shared bash -c "cd /tmp/fidAA/code && export PYTHONPATH=/tmp/fidAA/code && \
  $VN bench --workload coding-agent --programs 300 --seed 61729 --calls-scale 0.25 --tokens-scale 0.25 --rate 1 --dump-trace /tmp/fidAA/traces/ca61729.jsonl > /tmp/fidAA/trace-ca.out 2>&1 && \
  $VN bench --workload map-reduce --programs 300 --seed 38461 --calls-scale 0.25 --tokens-scale 0.25 --rate 1 --dump-trace /tmp/fidAA/traces/mr38461.jsonl > /tmp/fidAA/trace-mr.out 2>&1"
echo "traces rc=$? $(date -u +%T)"; md5sum /tmp/fidAA/traces/*.jsonl
echo "start calibrate start $(date -u +%T)"
/work/wt/exclusive bash -c "timeout 590 bash $R/calibAA.sh start"
echo "end calibrate start rc=$? $(date -u +%T)"
N=0
for step in "ca 1" "ca 2" "mr 2" "ca 3" "ca 4" "mr 4" "ca 5" "ca 6" "mr 6"; do
  if [ "$(date -u +%s)" -ge "$DEADLINE" ]; then echo "skip $step (after 20:50) $(date -u +%T)"; continue; fi
  echo "start $step $(date -u +%T)"
  /work/wt/exclusive bash -c "timeout 590 bash $R/winAA.sh $step"
  echo "end $step rc=$? $(date -u +%T)"
  case $step in mr*) N=${step#mr };; esac
  ss -ltnp | grep -E ':81[0-9][0-9]' && echo "WARNING: a server outlived its command"
done
echo "repetitions complete in both families: $N"
echo "start calibrate end $(date -u +%T)"
/work/wt/exclusive bash -c "timeout 590 bash $R/calibAA.sh end"
echo "end calibrate end rc=$? $(date -u +%T)"
touch /tmp/fidAA/stalls.stop
# the registered prediction (predAA.sh makes the midpoint with the product's calibrate --midpoint)
/work/wt/shared bash -c "timeout 1200 bash $R/predAA.sh $N"
echo "pred rc=$? $(date -u +%T)"
(cd /tmp/fidAA/code && PYTHONPATH=/tmp/fidAA/code /work/main/.venv/bin/python $R/floorAA.py $FID_OUT > $FID_OUT/../AA-readings.md)
echo "readings rc=$? $(date -u +%T)"
echo "chain done $(date -u +%T)"
