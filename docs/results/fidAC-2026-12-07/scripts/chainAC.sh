#!/bin/bash
# window AC, everything in order (pre-registered in ../README.md): the start calibration, a
# one-server calibration before every later real-run step, the end calibration.
R=/work/main/docs/results/fidAC-2026-12-07/scripts
export FID_CODE=/tmp/fidAC/code FID_OUT=/tmp/fidAC/AC FID_TRACES=/tmp/fidAC/traces
mkdir -p $FID_OUT /tmp/fidAC/traces
VN="/work/main/.venv/bin/python -m vllm_nexus.cli"
DEADLINE=$(date -u -d "2026-12-07 02:58" +%s)   # no real-run step starts after 02:58 UTC
rm -f /tmp/fidAC/stalls.stop
python3 $R/stallsAC.py $FID_OUT/stalls.jsonl /tmp/fidAC/stalls.stop &
echo "stall probe pid $! $(date -u +%T)"
echo "traces start $(date -u +%T)"
/work/wt/shared bash -c "cd /tmp/fidAC/code && export PYTHONPATH=/tmp/fidAC/code && \
  $VN bench --workload coding-agent --programs 300 --seed 51873 --calls-scale 0.25 --tokens-scale 0.25 --rate 1 --dump-trace /tmp/fidAC/traces/ca51873.jsonl > /tmp/fidAC/trace-ca.out 2>&1 && \
  $VN bench --workload map-reduce --programs 300 --seed 70429 --calls-scale 0.25 --tokens-scale 0.25 --rate 1 --dump-trace /tmp/fidAC/traces/mr70429.jsonl > /tmp/fidAC/trace-mr.out 2>&1"
echo "traces rc=$? $(date -u +%T)"; md5sum /tmp/fidAC/traces/*.jsonl
echo "start calibrate start $(date -u +%T)"
/work/wt/exclusive bash -c "timeout 590 bash $R/calibAC.sh start"
echo "end calibrate start rc=$? $(date -u +%T)"
N=0; K=0
for step in "ca 1" "ca 2" "mr 2" "ca 3" "ca 4" "mr 4" "ca 5" "ca 6" "mr 6"; do
  if [ "$(date -u +%s)" -ge "$DEADLINE" ]; then echo "skip $step (after 02:58) $(date -u +%T)"; continue; fi
  if [ "$step" != "ca 1" ]; then
    K=$((K + 1))
    echo "start calibrate rep$K $(date -u +%T)"
    /work/wt/exclusive bash -c "timeout 590 bash $R/calibAC.sh rep$K"
    echo "end calibrate rep$K rc=$? $(date -u +%T)"
  fi
  echo "start $step $(date -u +%T)"
  /work/wt/exclusive bash -c "timeout 590 bash $R/winAC.sh $step"
  echo "end $step rc=$? $(date -u +%T)"
  case $step in mr*) N=${step#mr };; esac
  ss -ltnp | grep -E ':81[0-9][0-9]' && echo "WARNING: a server outlived its command"
done
echo "repetitions complete in both families: $N; interleaved calibrations: $K"
echo "start calibrate end $(date -u +%T)"
/work/wt/exclusive bash -c "timeout 590 bash $R/calibAC.sh end"
echo "end calibrate end rc=$? $(date -u +%T)"
touch /tmp/fidAC/stalls.stop
# the registered predictions (predAC.sh): the bracket midpoint -> sim-bracket, the centre -> sim-alone
/work/wt/shared bash -c "timeout 1200 bash $R/predAC.sh $N"
echo "pred rc=$? $(date -u +%T)"
(cd /tmp/fidAC/code && PYTHONPATH=/tmp/fidAC/code /work/main/.venv/bin/python $R/floorAC.py $FID_OUT sim-alone > $FID_OUT/../AC-readings.md)
echo "readings rc=$? $(date -u +%T)"
(cd /tmp/fidAC/code && PYTHONPATH=/tmp/fidAC/code /work/main/.venv/bin/python $R/floorAC.py $FID_OUT sim-bracket > $FID_OUT/../AC-bracket-readings.md)
echo "bracket readings rc=$? $(date -u +%T)"
echo "chain done $(date -u +%T)"
