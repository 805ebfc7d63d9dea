#!/bin/bash
# window Q, everything in order (pre-registered in ../README.md).
R=/work/main/docs/results/fidQ-2026-12-06/scripts
export FID_CODE=/tmp/fidQ/code FID_OUT=/tmp/fidQ/Q FID_TRACES=/tmp/fidQ/traces
mkdir -p $FID_OUT /tmp/fidQ/traces
VN="/work/main/.venv/bin/python -m vllm_nexus.cli"
DEADLINE=$(date -u -d "2026-12-06 01:20" +%s)   # no real-run step starts after 01:20 UTC
rm -f /tmp/fidQ/stalls.stop
python3 $R/stallsQ.py $FID_OUT/stalls.jsonl /tmp/fidQ/stalls.stop &
echo "stall probe pid $! $(date -u +%T)"
echo "traces start $(date -u +%T)"
/work/wt/shared bash -c "cd /tmp/fidQ/code && export PYTHONPATH=/tmp/fidQ/code && \
  $VN bench --workload coding-agent --programs 300 --seed 5623 --calls-scale 0.25 --tokens-scale 0.25 --rate 1 --dump-trace /tmp/fidQ/traces/ca5623.jsonl > /tmp/fidQ/trace-ca.out 2>&1 && \
  $VN bench --workload map-reduce --programs 300 --seed 38477 --calls-scale 0.25 --tokens-scale 0.25 --rate 1 --dump-trace /tmp/fidQ/traces/mr38477.jsonl > /tmp/fidQ/trace-mr.out 2>&1"
echo "traces rc=$? $(date -u +%T)"; md5sum /tmp/fidQ/traces/*.jsonl
echo "start calibrate start $(date -u +%T)"
/work/wt/exclusive bash -c "timeout 590 bash $R/calibQ.sh start"
echo "end calibrate start rc=$? $(date -u +%T)"
for step in "ca 1" "ca 2" "mr 2" "ca 3" "ca 4" "mr 4" "ca 5" "ca 6" "mr 6"; do
  if [ "$(date -u +%s)" -ge "$DEADLINE" ]; then echo "skip $step (after 01:20) $(date -u +%T)"; continue; fi
  echo "start $step $(date -u +%T)"
  /work/wt/exclusive bash -c "timeout 590 bash $R/winQ.sh $step"
  echo "end $step rc=$? $(date -u +%T)"
  ss -ltnp | grep -E ':81[0-9][0-9]' && echo "WARNING: a server outlived its command"
done
echo "start calibrate end $(date -u +%T)"
/work/wt/exclusive bash -c "timeout 590 bash $R/calibQ.sh end"
echo "end calibrate end rc=$? $(date -u +%T)"
touch /tmp/fidQ/stalls.stop
/work/wt/shared bash -c "timeout 590 bash $R/bracketQ.sh"
echo "bracket rc=$? $(date -u +%T)"
/work/wt/shared bash -c "timeout 590 bash $R/predQ.sh 6"
echo "pred rc=$? $(date -u +%T)"
echo "chain done $(date -u +%T)"
