#!/bin/bash
R=/work/main/docs/results/fidN-2026-12-05g/scripts
export FID_CODE=/tmp/fidN/code FID_OUT=/tmp/fidN/N FID_TRACES=/tmp/fidN/traces
mkdir -p $FID_OUT /tmp/fidN/traces
VN="/work/main/.venv/bin/python -m vllm_nexus.cli"
echo "traces start $(date -u +%T)"
/work/wt/shared bash -c "cd /tmp/fidN/code && export PYTHONPATH=/tmp/fidN/code && \
  $VN bench --workload coding-agent --programs 300 --seed 5813 --calls-scale 0.25 --tokens-scale 0.25 --rate 1 --dump-trace /tmp/fidN/traces/ca5813.jsonl > /tmp/fidN/trace-ca.out 2>&1 && \
  $VN bench --workload map-reduce --programs 300 --seed 2957 --calls-scale 0.25 --tokens-scale 0.25 --rate 1 --dump-trace /tmp/fidN/traces/mr2957.jsonl > /tmp/fidN/trace-mr.out 2>&1"
echo "traces rc=$? $(date -u +%T)"; md5sum /tmp/fidN/traces/*.jsonl
echo "start calibrate $(date -u +%T)"
/work/wt/exclusive bash -c "timeout 590 bash $R/calibN.sh"
echo "end calibrate rc=$? $(date -u +%T)"
for step in "ca 1" "ca 2" "mr 2" "ca 3" "ca 4" "mr 4" "ca 5" "ca 6" "mr 6"; do
  now=$(date -u +%H%M)
  if [ "$now" -ge 2000 ]; then echo "skip $step (after 20:00) $(date -u +%T)"; continue; fi
  echo "start $step $(date -u +%T)"
  /work/wt/exclusive bash -c "timeout 590 bash $R/winN.sh $step"
  echo "end $step rc=$? $(date -u +%T)"
  ss -ltnp | grep -E ':81[0-9][0-9]' && echo "WARNING: a server outlived its command"
done
echo "chain done $(date -u +%T)"
