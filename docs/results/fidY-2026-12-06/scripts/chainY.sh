#!/bin/bash
# window Y, everything in order (pre-registered in ../README.md).
R=/work/main/docs/results/fidY-2026-12-06/scripts
export FID_CODE=/tmp/fidY/code FID_OUT=/tmp/fidY/Y FID_TRACES=/tmp/fidY/traces
mkdir -p $FID_OUT /tmp/fidY/traces
VN="/work/main/.venv/bin/python -m vllm_nexus.cli"
DEADLINE=$(date -u -d "2026-12-06 17:30" +%s)   # no real-run step starts after 17:30 UTC
rm -f /tmp/fidY/stalls.stop
python3 $R/stallsY.py $FID_OUT/stalls.jsonl /tmp/fidY/stalls.stop &
echo "stall probe pid $! $(date -u +%T)"
echo "traces start $(date -u +%T)"
/work/wt/shared bash -c "cd /tmp/fidY/code && export PYTHONPATH=/tmp/fidY/code && \
  $VN bench --workload coding-agent --programs 300 --seed 70913 --calls-scale 0.25 --tokens-scale 0.25 --rate 1 --dump-trace /tmp/fidY/traces/ca70913.jsonl > /tmp/fidY/trace-ca.out 2>&1 && \
  $VN bench --workload map-reduce --programs 300 --seed 45127 --calls-scale 0.25 --tokens-scale 0.25 --rate 1 --dump-trace /tmp/fidY/traces/mr45127.jsonl > /tmp/fidY/trace-mr.out 2>&1"
echo "traces rc=$? $(date -u +%T)"; md5sum /tmp/fidY/traces/*.jsonl
echo "start calibrate start $(date -u +%T)"
/work/wt/exclusive bash -c "timeout 590 bash $R/calibY.sh start"
echo "end calibrate start rc=$? $(date -u +%T)"
N=0
for step in "ca 1" "ca 2" "mr 2" "ca 3" "ca 4" "mr 4" "ca 5" "ca 6" "mr 6"; do
  if [ "$(date -u +%s)" -ge "$DEADLINE" ]; then echo "skip $step (after 17:30) $(date -u +%T)"; continue; fi
  echo "start $step $(date -u +%T)"
  /work/wt/exclusive bash -c "timeout 590 bash $R/winY.sh $step"
  echo "end $step rc=$? $(date -u +%T)"
  case $step in mr*) N=${step#mr };; esac
  ss -ltnp | grep -E ':81[0-9][0-9]' && echo "WARNING: a server outlived its command"
done
echo "repetitions complete in both families: $N"
echo "start calibrate end $(date -u +%T)"
/work/wt/exclusive bash -c "timeout 590 bash $R/calibY.sh end"
echo "end calibrate end rc=$? $(date -u +%T)"
touch /tmp/fidY/stalls.stop
# the registered prediction (predY.sh makes the midpoint with the product's calibrate --midpoint)
/work/wt/shared bash -c "timeout 1200 bash $R/predY.sh $N"
echo "pred rc=$? $(date -u +%T)"
(cd /tmp/fidY/code && PYTHONPATH=/tmp/fidY/code /work/main/.venv/bin/python $R/floorY.py $FID_OUT > $FID_OUT/../Y-readings.md)
echo "readings rc=$? $(date -u +%T)"
echo "chain done $(date -u +%T)"
