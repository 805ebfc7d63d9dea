#!/bin/bash
R=/work/main/docs/results/fidL-2026-12-05e/scripts
export FID_CODE=/tmp/fidL/code FID_OUT=/tmp/fidL/L FID_TRACES=/tmp/fidL/traces
mkdir -p $FID_OUT
VN="/work/main/.venv/bin/python -m vllm_nexus.cli"
echo "traces start $(date -u +%T)"
/work/wt/shared bash -c "cd /tmp/fidL/code && export PYTHONPATH=/tmp/fidL/code && \
  $VN bench --workload coding-agent --programs 300 --seed 4373 --calls-scale 0.25 --tokens-scale 0.25 --rate 1 --dump-trace /tmp/fidL/traces/ca4373.jsonl > /tmp/fidL/trace-ca.out 2>&1 && \
  $VN bench --workload map-reduce --programs 300 --seed 5903 --calls-scale 0.25 --tokens-scale 0.25 --rate 1 --dump-trace /tmp/fidL/traces/mr5903.jsonl > /tmp/fidL/trace-mr.out 2>&1"
echo "traces rc=$? $(date -u +%T)"; md5sum /tmp/fidL/traces/*.jsonl
echo "start calibrate $(date -u +%T)"
/work/wt/exclusive bash -c "timeout 590 bash $R/calibL.sh"
echo "end calibrate rc=$? $(date -u +%T)"
for step in "ca 1" "ca 2" "mr 2" "ca 3" "ca 4" "mr 4" "ca 5" "ca 6" "mr 6"; do
  now=$(date -u +%H%M)
  if [ "$now" -ge 1440 ]; then echo "skip $step (after 14:40) $(date -u +%T)"; continue; fi
  echo "start $step $(date -u +%T)"
  /work/wt/exclusive bash -c "timeout 590 bash $R/winL.sh $step"
  echo "end $step rc=$? $(date -u +%T)"
  ss -ltnp | grep -E ':81[0-9][0-9]' && echo "WARNING: a server outlived its command"
done
echo "chain done $(date -u +%T)"
