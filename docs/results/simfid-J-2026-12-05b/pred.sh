#!/bin/bash
# window J's prediction (pre-registered in README.md): the frozen code with its packaged per-host
# profile -> $FID_OUT/sim. usage: FID_CODE=... FID_OUT=... FID_TRACES=... /work/wt/shared timeout 900 bash pred.sh
R=${FID_CODE:?}; D=$(realpath ${FID_OUT:?}); T=$(realpath ${FID_TRACES:?})
E=(--model tiny --max-num-seqs 8 --max-model-len 4096 --think-scale 0.3 --no-progress --no-plots)
P=$R/vllm_nexus/perf/profiles/cpu-here-c268a9353dec.json
echo "pred start $(date -u +%FT%TZ)" >> $D/windows.txt
cd $R && export PYTHONPATH=$R
/work/main/.venv/bin/python -m vllm_nexus.cli simulate --trace $T/ca9433.jsonl --programs 120 --seed 9433 \
  --sweep-rates 2,12 --hardware $P --scheduler stock-fcfs,vllm_nexus "${E[@]}" --out $D/sim/ca >/dev/null &
/work/main/.venv/bin/python -m vllm_nexus.cli simulate --trace $T/mr6529.jsonl --programs 100 --seed 6529 \
  --sweep-rates 6,12 --hardware $P --scheduler stock-fcfs,vllm_nexus "${E[@]}" --out $D/sim/mr >/dev/null
wait
echo "pred end $(date -u +%FT%TZ)" >> $D/windows.txt
