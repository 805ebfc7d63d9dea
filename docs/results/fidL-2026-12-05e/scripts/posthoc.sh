#!/bin/bash
# Post hoc (tuning, not a verdict): the recorded windows I, J, H, K simulated with a profile, for
# comparing profile variants (the AMD packaged profile as registered there, and with
# frontend_delay_calls_cap 32). usage: /work/wt/shared timeout 590 bash posthoc.sh VARIANT PROFILE
# traces gunzipped to /tmp/ph (see COMMANDS.md); output /tmp/ph/VARIANT/<window>/<family>/<scheduler>/result.json
V=${1:?}; P=${2:?}; O=/tmp/ph/$V; mkdir -p $O
cd /work/main && export PYTHONPATH=/work/main
E=(--model tiny --max-num-seqs 8 --max-model-len 4096 --think-scale 0.3 --no-progress --no-plots --scheduler stock-fcfs,vllm_nexus --hardware $P)
sim() { /work/main/.venv/bin/python -m vllm_nexus.cli simulate --trace /tmp/ph/$3.jsonl --programs $4 --seed $5 --sweep-rates $6 "${@:7}" "${E[@]}" --out $O/$1/$2 > /dev/null 2>&1; echo "$1 $2 rc=$? $(date -u +%T)"; }
sim I ca ca8761 120 8761 2,12 & sim I ag ag6151 90 6151 3,9; wait
sim J ca ca9433 120 9433 2,12 & sim J mr mr6529 100 6529 6,12; wait
sim H ca ca8123 200 8123 2,12 & sim H mr mrH 40 9317 2,4 --arrival-cv 1.0; wait
sim K ca ca4721 120 4721 2,12 & sim K mr mr7459 100 7459 6,12; wait
