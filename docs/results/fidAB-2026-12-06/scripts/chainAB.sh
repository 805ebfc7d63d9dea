#!/bin/bash
# window AB, everything in order (pre-registered in ../README.md).
R=/work/main/docs/results/fidAB-2026-12-06/scripts
export FID_CODE=/tmp/fidAB/code FID_OUT=/tmp/fidAB/AB FID_TRACES=/tmp/fidAB/traces
mkdir -p $FID_OUT /tmp/fidAB/traces
VN="/work/main/.venv/bin/python -m vllm_nexus.cli"
DEADLINE=$(date -u -d "2026-12-06 23:40" +%s)   # no real-run step starts after 23:40 UTC
rm -f /tmp/fidAB/stalls.stop
python3 $R/stallsAB.py $FID_OUT/stalls.jsonl /tmp/fidAB/stalls.stop &
echo "stall probe pid $! $(date -u +%T)"
echo "traces start $(date -u +%T)"
/work/wt/shared bash -c "cd /tmp/fidAB/code && export PYTHONPATH=/tmp/fidAB/code && \
  $VN bench --workload coding-agent --programs 300 --seed 44927 --calls-scale 0.25 --tokens-scale 0.25 --rate 1 --dump-trace /tmp/fidAB/traces/ca44927.jsonl > /tmp/fidAB/trace-ca.out 2>&1 && \
  $VN bench --workload map-reduce --programs 300 --seed 66181 --calls-scale 0.25 --tokens-scale 0.25 --rate 1 --dump-trace /tmp/fidAB/traces/mr66181.jsonl > /tmp/fidAB/trace-mr.out 2>&1"
echo "traces rc=$? $(date -u +%T)"; md5sum /tmp/fidAB/traces/*.jsonl
echo "start calibrate start $(date -u +%T)"
/work/wt/exclusive bash -c "timeout 590 bash $R/calibAB.sh start"
echo "end calibrate start rc=$? $(date -u +%T)"
N=0
for step in "ca 1" "ca 2" "mr 2" "ca 3" "ca 4" "mr 4" "ca 5" "ca 6" "mr 6"; do
  if [ "$(date -u +%s)" -ge "$DEADLINE" ]; then echo "skip $step (after 23:40) $(date -u +%T)"; continue; fi
  echo "start $step $(date -u +%T)"
  /work/wt/exclusive bash -c "timeout 590 bash $R/winAB.sh $step"
  echo "end $step rc=$? $(date -u +%T)"
  case $step in mr*) N=${step#mr };; esac
  ss -ltnp | grep -E ':81[0-9][0-9]' && echo "WARNING: a server outlived its command"
done
echo "repetitions complete in both families: $N"
echo "start calibrate end $(date -u +%T)"
/work/wt/exclusive bash -c "timeout 590 bash $R/calibAB.sh end"
echo "end calibrate end rc=$? $(date -u +%T)"
touch /tmp/fidAB/stalls.stop
# the registered prediction (predAB.sh makes the midpoint with the product's calibrate --midpoint)
/work/wt/shared bash -c "timeout 1200 bash $R/predAB.sh $N"
echo "pred rc=$? $(date -u +%T)"
(cd /tmp/fidAB/code && PYTHONPATH=/tmp/fidAB/code /work/main/.venv/bin/python $R/floorAB.py $FID_OUT > $FID_OUT/../AB-readings.md)
echo "readings rc=$? $(date -u +%T)"
echo "chain done $(date -u +%T)"
