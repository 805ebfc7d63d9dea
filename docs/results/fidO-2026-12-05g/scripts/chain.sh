#!/bin/bash
R=/work/main/docs/results/fidO-2026-12-05g/scripts
export FID_CODE=/tmp/fidO/code FID_OUT=/tmp/fidO/O FID_TRACES=/tmp/fidO/traces
mkdir -p $FID_OUT /tmp/fidO/traces
VN="/work/main/.venv/bin/python -m vllm_nexus.cli"
echo "traces start $(date -u +%T)"
/work/wt/shared bash -c "cd /tmp/fidO/code && export PYTHONPATH=/tmp/fidO/code && \
  $VN bench --workload coding-agent --programs 300 --seed 1487 --calls-scale 0.25 --tokens-scale 0.25 --rate 1 --dump-trace /tmp/fidO/traces/ca1487.jsonl > /tmp/fidO/trace-ca.out 2>&1 && \
  $VN bench --workload map-reduce --programs 300 --seed 9281 --calls-scale 0.25 --tokens-scale 0.25 --rate 1 --dump-trace /tmp/fidO/traces/mr9281.jsonl > /tmp/fidO/trace-mr.out 2>&1"
echo "traces rc=$? $(date -u +%T)"; md5sum /tmp/fidO/traces/*.jsonl
echo "start calibrate $(date -u +%T)"
/work/wt/exclusive bash -c "timeout 590 bash $R/calibO.sh"
echo "end calibrate rc=$? $(date -u +%T)"
for step in "ca 1" "ca 2" "mr 2" "ca 3" "ca 4" "mr 4" "ca 5" "ca 6" "mr 6"; do
  now=$(date -u +%H%M)
  if [ "$now" -ge 2010 ]; then echo "skip $step (after 20:10) $(date -u +%T)"; continue; fi
  echo "start $step $(date -u +%T)"
  /work/wt/exclusive bash -c "timeout 590 bash $R/winO.sh $step"
  echo "end $step rc=$? $(date -u +%T)"
  ss -ltnp | grep -E ':81[0-9][0-9]' && echo "WARNING: a server outlived its command"
done
echo "chain done $(date -u +%T)"
