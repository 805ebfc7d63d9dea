#!/bin/bash
# window I's predictions (pre-registered in ../README.md):
#   a (after):  this branch's frozen code, I/calibration.json (calibrate --servers 3) -> I/sim-a
#   b (before): main f08d26b frozen,       I/cal-main.json (main's one-server calibrate) -> I/sim-b
#   c: the packaged per-host profile of the frozen branch code                      -> I/sim-c
# usage: FID_CODE=/tmp/sf6-win/<commit> FID_MAIN=/tmp/sf6-win/main FID_OUT=/tmp/sf6-I FID_TRACES=/tmp/sf6/traces \
#        /work/wt/shared timeout 900 bash pred.sh
R=${FID_CODE:?}; M=${FID_MAIN:?}; D=$(realpath ${FID_OUT:?}); T=$(realpath ${FID_TRACES:?})
E=(--model tiny --max-num-seqs 8 --max-model-len 4096 --think-scale 0.3 --no-progress --no-plots)
one() {  # CODE PROFILE OUT
  (cd $1 && PYTHONPATH=$1 /work/main/.venv/bin/python -m vllm_nexus.cli simulate --trace $T/ca8761.jsonl \
     --programs 120 --seed 8761 --sweep-rates 2,12 --hardware $2 --scheduler stock-fcfs,vllm_nexus "${E[@]}" --out $3/ca >/dev/null
   cd $1 && PYTHONPATH=$1 /work/main/.venv/bin/python -m vllm_nexus.cli simulate --trace $T/ag6151.jsonl \
     --programs 90 --seed 6151 --sweep-rates 3,9 --hardware $2 --scheduler stock-fcfs,vllm_nexus "${E[@]}" --out $3/ag >/dev/null)
}
echo "pred start $(date -u +%FT%TZ)" >> $D/windows.txt
one $R $D/calibration.json $D/sim-a &
one $M $D/cal-main.json $D/sim-b
wait
one $R $R/vllm_nexus/perf/profiles/cpu-here-c268a9353dec.json $D/sim-c
echo "pred end $(date -u +%FT%TZ)" >> $D/windows.txt
