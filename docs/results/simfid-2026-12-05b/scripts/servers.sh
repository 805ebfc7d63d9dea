set -e
R=/tmp/sf6-win/967458bc9c98edceba176fe64b80ca27a47e3774; cd $R; export PYTHONPATH=$R VLLM_NEXUS_CACHE=/tmp/sf6/cache
for k in 1 2 3; do
  L=/tmp/sf6-I/calibration-steps.jsonl; [ $k -gt 1 ] && L=/tmp/sf6-I/calibration-steps-server$k.jsonl
  /work/main/.venv/bin/python -m vllm_nexus.cli simulate calibrate --servers 1 --from-log $L --out /tmp/sf6-I/diag-server$k.json > /tmp/sf6-I/diag-server$k.out 2>&1
done
E=(--model tiny --max-num-seqs 8 --max-model-len 4096 --think-scale 0.3 --no-progress --no-plots)
for k in 1 2 3; do
/work/main/.venv/bin/python -m vllm_nexus.cli simulate --trace /tmp/sf6/traces/ca8761.jsonl --programs 120 --seed 8761 --sweep-rates 2,12 --hardware /tmp/sf6-I/diag-server$k.json --scheduler stock-fcfs,vllm_nexus "${E[@]}" --out /tmp/sf6-I/sim-d$k/ca >/dev/null 2>&1 &
/work/main/.venv/bin/python -m vllm_nexus.cli simulate --trace /tmp/sf6/traces/ag6151.jsonl --programs 90 --seed 6151 --sweep-rates 3,9 --hardware /tmp/sf6-I/diag-server$k.json --scheduler stock-fcfs,vllm_nexus "${E[@]}" --out /tmp/sf6-I/sim-d$k/ag >/dev/null 2>&1
wait
done
