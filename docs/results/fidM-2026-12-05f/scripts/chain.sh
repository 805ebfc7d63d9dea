#!/bin/bash
R=/work/main/docs/results/fidM-2026-12-05f/scripts
export FID_CODE=/tmp/fidM/code FID_OUT=/tmp/fidM/M FID_TRACES=/tmp/fidM/traces
mkdir -p $FID_OUT /tmp/fidM/traces
VN="/work/main/.venv/bin/python -m vllm_nexus.cli"
echo "traces start $(date -u +%T)"
/work/wt/shared bash -c "cd /tmp/fidM/code && export PYTHONPATH=/tmp/fidM/code && \
  $VN bench --workload coding-agent --programs 300 --seed 4127 --calls-scale 0.25 --tokens-scale 0.25 --rate 1 --dump-trace /tmp/fidM/traces/ca4127.jsonl > /tmp/fidM/trace-ca.out 2>&1 && \
  $VN bench --workload map-reduce --programs 300 --seed 4441 --calls-scale 0.25 --tokens-scale 0.25 --rate 1 --dump-trace /tmp/fidM/traces/mr4441.jsonl > /tmp/fidM/trace-mr.out 2>&1"
echo "traces rc=$? $(date -u +%T)"; md5sum /tmp/fidM/traces/*.jsonl
echo "start calibrate $(date -u +%T)"
/work/wt/exclusive bash -c "timeout 590 bash $R/calibM.sh"
echo "end calibrate rc=$? $(date -u +%T)"
for step in "ca 1" "ca 2" "mr 2" "ca 3" "ca 4" "mr 4" "ca 5" "ca 6" "mr 6"; do
  now=$(date -u +%H%M)
  if [ "$now" -ge 1735 ]; then echo "skip $step (after 17:35) $(date -u +%T)"; continue; fi
  echo "start $step $(date -u +%T)"
  /work/wt/exclusive bash -c "timeout 590 bash $R/winM.sh $step"
  echo "end $step rc=$? $(date -u +%T)"
  ss -ltnp | grep -E ':81[0-9][0-9]' && echo "WARNING: a server outlived its command"
done
echo "chain done $(date -u +%T)"
