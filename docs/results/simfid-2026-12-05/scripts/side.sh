#!/bin/bash
# both families of a window simulated with one profile (simfid-2026-12-04f's side.sh, traces as
# arguments); no rescaling. usage: /work/wt/shared timeout 900 bash side.sh PROFILE OUTDIR [CA_TRACE MR_TRACE CA_SEED MR_SEED]
# (run from the code directory: `python -m` imports the package from the working directory)
P=$(realpath ${1:?profile}); O=$(realpath -m ${2:?outdir}); CA=$(realpath ${3:-/tmp/sf5/ca35.jsonl})
MR=$(realpath ${4:-docs/results/simfid-2026-12-04f/F/mr/trace.jsonl})
CS=${5:-35}; MS=${6:-6700}; CR=${CA_RATES:-12,24}; MRR=${MR_RATES:-2,4}
export PYTHONPATH=${FID_CODE:-$PWD}; cd $PYTHONPATH
VN="/work/main/.venv/bin/python -m vllm_nexus.cli"
E=(--model tiny --max-num-seqs 8 --max-model-len 4096 --think-scale 0.3 --no-progress --no-plots)
$VN simulate --trace $CA --programs 200 --seed $CS --sweep-rates $CR --hardware $P --scheduler stock-fcfs,vllm_nexus "${E[@]}" --out $O/ca >/dev/null &
$VN simulate --trace $MR --programs 40 --seed $MS --arrival-cv 1.0 --sweep-rates $MRR --hardware $P --scheduler stock-fcfs,vllm_nexus "${E[@]}" --out $O/mr >/dev/null
wait
