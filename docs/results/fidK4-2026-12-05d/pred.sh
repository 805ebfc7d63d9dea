#!/bin/bash
# window K's predK.sh, `ca` only, on the two new repetitions (the old two are read from window K's tables). usage: /work/wt/shared timeout 590 bash pred.sh
R=/tmp/fk4/code; D=/tmp/fk4; T=/tmp/fk4/traces
E="--max-num-seqs 8 --max-model-len 4096"
P=$R/vllm_nexus/perf/profiles/cpu-here-c268a9353dec.json
cd $R && export PYTHONPATH=$R
VN="/work/main/.venv/bin/python -m vllm_nexus.cli"
echo "pred start $(date -u +%FT%TZ)" >> $D/windows.txt
$VN simulate fidelity --out $D/ca --trace $T/ca4721.jsonl --programs 120 --seed 4721 --sweep-rates 2,12 \
  --reps 2 --think-scale 0.3 --engine-args "$E" --hardware $P --speed-probe --skip-real > $D/ca/pred4.out 2>&1
echo "pred end $(date -u +%FT%TZ) rc=$?" >> $D/windows.txt
