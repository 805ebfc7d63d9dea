#!/bin/bash
# window Z, everything in order (pre-registered in ../README.md).
R=/work/main/docs/results/fidZ-2026-12-06/scripts
export FID_CODE=/tmp/fidZ/code FID_OUT=/tmp/fidZ/Z FID_TRACES=/tmp/fidZ/traces
mkdir -p $FID_OUT /tmp/fidZ/traces
VN="/work/main/.venv/bin/python -m vllm_nexus.cli"
DEADLINE=$(date -u -d "2026-12-06 18:22" +%s)   # no real-run step starts after 18:22 UTC
rm -f /tmp/fidZ/stalls.stop
python3 $R/stallsZ.py $FID_OUT/stalls.jsonl /tmp/fidZ/stalls.stop &
echo "stall probe pid $! $(date -u +%T)"
echo "traces start $(date -u +%T)"
/work/wt/shared bash -c "cd /tmp/fidZ/code && export PYTHONPATH=/tmp/fidZ/code && \
  $VN bench --workload coding-agent --programs 300 --seed 83617 --calls-scale 0.25 --tokens-scale 0.25 --rate 1 --dump-trace /tmp/fidZ/traces/ca83617.jsonl > /tmp/fidZ/trace-ca.out 2>&1 && \
  $VN bench --workload map-reduce --programs 300 --seed 19382 --calls-scale 0.25 --tokens-scale 0.25 --rate 1 --dump-trace /tmp/fidZ/traces/mr19382.jsonl > /tmp/fidZ/trace-mr.out 2>&1"
echo "traces rc=$? $(date -u +%T)"; md5sum /tmp/fidZ/traces/*.jsonl
echo "start calibrate start $(date -u +%T)"
/work/wt/exclusive bash -c "timeout 590 bash $R/calibZ.sh start"
echo "end calibrate start rc=$? $(date -u +%T)"
N=0
for step in "ca 1" "ca 2" "mr 2" "ca 3" "ca 4" "mr 4"; do
  if [ "$(date -u +%s)" -ge "$DEADLINE" ]; then echo "skip $step (after 18:22) $(date -u +%T)"; continue; fi
  echo "start $step $(date -u +%T)"
  /work/wt/exclusive bash -c "timeout 590 bash $R/winZ.sh $step"
  echo "end $step rc=$? $(date -u +%T)"
  case $step in mr*) N=${step#mr };; esac
  ss -ltnp | grep -E ':81[0-9][0-9]' && echo "WARNING: a server outlived its command"
done
echo "repetitions complete in both families: $N"
echo "start calibrate end $(date -u +%T)"
/work/wt/exclusive bash -c "timeout 590 bash $R/calibZ.sh end"
echo "end calibrate end rc=$? $(date -u +%T)"
touch /tmp/fidZ/stalls.stop
# the registered prediction (predZ.sh makes the midpoint with the product's calibrate --midpoint)
/work/wt/shared bash -c "timeout 1200 bash $R/predZ.sh $N"
echo "pred rc=$? $(date -u +%T)"
(cd /tmp/fidZ/code && PYTHONPATH=/tmp/fidZ/code /work/main/.venv/bin/python $R/floorZ.py $FID_OUT > $FID_OUT/../Z-readings.md)
echo "readings rc=$? $(date -u +%T)"
echo "chain done $(date -u +%T)"
