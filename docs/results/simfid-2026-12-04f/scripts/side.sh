#!/bin/bash
# side predictions (diagnostics): both families simulated with another profile, no
# rescaling, no diagnostics; table vs the real runs by table.py
# usage: /work/wt/shared timeout 900 bash side.sh PROFILE LABEL
P=${1:?profile}; L=${2:?label}; D=${FID_OUT:?}; export PYTHONPATH=${FID_CODE:-$PWD}
VN="/work/main/.venv/bin/python -m vllm_nexus.cli"
E=(--model tiny --max-num-seqs 8 --max-model-len 4096 --think-scale 0.3 --no-progress --no-plots)
echo "side $L start $(date -u +%FT%TZ) profile $P" >> $D/windows.txt
$VN simulate --trace /tmp/tal/traces/coding-agent35.jsonl --programs 200 --seed 35 \
    --sweep-rates 12,24 --hardware $P --scheduler stock-fcfs,vllm_nexus "${E[@]}" --out $D/ca/side-$L
$VN simulate --trace $D/mr/trace.jsonl --programs 40 --seed 6700 --arrival-cv 1.0 \
    --sweep-rates 2,4 --hardware $P --scheduler stock-fcfs,vllm_nexus "${E[@]}" --out $D/mr/side-$L
echo "side $L end $(date -u +%FT%TZ)" >> $D/windows.txt
