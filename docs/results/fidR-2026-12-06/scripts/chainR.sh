#!/bin/bash
# window R, everything in order (pre-registered in ../README.md).
R=/work/main/docs/results/fidR-2026-12-06/scripts
export FID_CODE=/tmp/fidR/code FID_OUT=/tmp/fidR/R FID_TRACES=/tmp/fidR/traces
mkdir -p $FID_OUT /tmp/fidR/traces
VN="/work/main/.venv/bin/python -m vllm_nexus.cli"
DEADLINE=$(date -u -d "2026-12-06 01:45" +%s)   # no real-run step starts after 01:45 UTC
rm -f /tmp/fidR/stalls.stop
python3 $R/stallsR.py $FID_OUT/stalls.jsonl /tmp/fidR/stalls.stop &
echo "stall probe pid $! $(date -u +%T)"
echo "traces start $(date -u +%T)"
/work/wt/shared bash -c "cd /tmp/fidR/code && export PYTHONPATH=/tmp/fidR/code && \
  $VN bench --workload coding-agent --programs 300 --seed 52861 --calls-scale 0.25 --tokens-scale 0.25 --rate 1 --dump-trace /tmp/fidR/traces/ca52861.jsonl > /tmp/fidR/trace-ca.out 2>&1 && \
  $VN bench --workload map-reduce --programs 300 --seed 71933 --calls-scale 0.25 --tokens-scale 0.25 --rate 1 --dump-trace /tmp/fidR/traces/mr71933.jsonl > /tmp/fidR/trace-mr.out 2>&1"
echo "traces rc=$? $(date -u +%T)"; md5sum /tmp/fidR/traces/*.jsonl
echo "start calibrate start $(date -u +%T)"
/work/wt/exclusive bash -c "timeout 590 bash $R/calibR.sh start"
echo "end calibrate start rc=$? $(date -u +%T)"
for step in "ca 1" "ca 2" "mr 2" "ca 3" "ca 4" "mr 4"; do
  if [ "$(date -u +%s)" -ge "$DEADLINE" ]; then echo "skip $step (after 01:45) $(date -u +%T)"; continue; fi
  echo "start $step $(date -u +%T)"
  /work/wt/exclusive bash -c "timeout 590 bash $R/winR.sh $step"
  echo "end $step rc=$? $(date -u +%T)"
  ss -ltnp | grep -E ':81[0-9][0-9]' && echo "WARNING: a server outlived its command"
done
echo "start calibrate end $(date -u +%T)"
/work/wt/exclusive bash -c "timeout 590 bash $R/calibR.sh end"
echo "end calibrate end rc=$? $(date -u +%T)"
touch /tmp/fidR/stalls.stop
/work/wt/shared bash -c "timeout 590 bash $R/bracketR.sh"
echo "bracket rc=$? $(date -u +%T)"
/work/wt/shared bash -c "timeout 590 bash $R/predR.sh 4"
echo "pred rc=$? $(date -u +%T)"
echo "chain done $(date -u +%T)"
