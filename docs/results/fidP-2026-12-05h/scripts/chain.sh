#!/bin/bash
# window P, everything in order (pre-registered in ../README.md).
R=/work/main/docs/results/fidP-2026-12-05h/scripts
export FID_CODE=/tmp/fidP/code FID_OUT=/tmp/fidP/P FID_TRACES=/tmp/fidP/traces
mkdir -p $FID_OUT /tmp/fidP/traces
VN="/work/main/.venv/bin/python -m vllm_nexus.cli"
echo "traces start $(date -u +%T)"
/work/wt/shared bash -c "cd /tmp/fidP/code && export PYTHONPATH=/tmp/fidP/code && \
  $VN bench --workload coding-agent --programs 300 --seed 5179 --calls-scale 0.25 --tokens-scale 0.25 --rate 1 --dump-trace /tmp/fidP/traces/ca5179.jsonl > /tmp/fidP/trace-ca.out 2>&1 && \
  $VN bench --workload map-reduce --programs 300 --seed 4391 --calls-scale 0.25 --tokens-scale 0.25 --rate 1 --dump-trace /tmp/fidP/traces/mr4391.jsonl > /tmp/fidP/trace-mr.out 2>&1"
echo "traces rc=$? $(date -u +%T)"; md5sum /tmp/fidP/traces/*.jsonl
echo "start calibrate start $(date -u +%T)"
/work/wt/exclusive bash -c "timeout 590 bash $R/calibP.sh start"
echo "end calibrate start rc=$? $(date -u +%T)"
for step in "ca 1" "ca 2" "mr 2" "ca 3" "ca 4" "mr 4"; do
  now=$(date -u +%H%M)
  if [ "$now" -ge 2310 ]; then echo "skip $step (after 23:10) $(date -u +%T)"; continue; fi
  echo "start $step $(date -u +%T)"
  /work/wt/exclusive bash -c "timeout 590 bash $R/winP.sh $step"
  echo "end $step rc=$? $(date -u +%T)"
  ss -ltnp | grep -E ':81[0-9][0-9]' && echo "WARNING: a server outlived its command"
done
echo "start calibrate end $(date -u +%T)"
/work/wt/exclusive bash -c "timeout 590 bash $R/calibP.sh end"
echo "end calibrate end rc=$? $(date -u +%T)"
/work/wt/shared bash -c "timeout 590 bash $R/bracketP.sh"
echo "bracket rc=$? $(date -u +%T)"
/work/wt/shared bash -c "timeout 590 bash $R/predP.sh 4"
echo "pred rc=$? $(date -u +%T)"
echo "chain done $(date -u +%T)"
