#!/bin/bash
# usage: kvf.sh TAG FAMILY PROGRAMS RATE REPS SETTING
#   One exclusive command: examples/interleaved_replay.py --rate RATE --reps REPS, schedulers
#   stock,default, on the fresh trace /tmp/kvfresh/traces/FAMILY.jsonl (first PROGRAMS programs),
#   engine setting SETTING (kv-bound, or batch-bound = --max-num-seqs 8 --max-model-len 4096),
#   into /tmp/kvfresh/runs/FAMILY-SETTING-NPROGRAMS-rRATE. Adapted from
#   docs/results/kvbound-2026-12-03g/kvb.sh: runs the frozen copy of main in /tmp/kvfresh/code
#   (git -C /work/main archive HEAD), ports 8400-8499, not started at or after 09:00 UTC.
# Run under the exclusive lock: /work/wt/exclusive timeout 590 bash kvf.sh ...
cd /tmp/kvfresh/code || exit 1
export VLLM_NEXUS_PORT_RANGE=8400-8499
if [ "$(date -u +%H%M)" -ge "${KVF_NOT_AFTER:-0900}" ]; then echo "not started: $(date -u +%H:%M) is past ${KVF_NOT_AFTER:-0900} UTC"; exit 0; fi
tag=$1 fam=$2 n=$3 rate=$4 reps=$5 setting=$6
out=/tmp/kvfresh/runs/$fam-$setting-$n-r$rate
echo "=== $tag: $fam N=$n rate $rate reps<$reps stock,default ($setting) -> $out"; date -u +"start %H:%M:%S"; cat /proc/loadavg
echo "code: main $(cat MAIN_COMMIT) (frozen copy)"
md5sum /tmp/kvfresh/traces/$fam.jsonl
engine=$setting; [ "$setting" = batch-bound ] && engine="--max-num-seqs 8 --max-model-len 4096"  # as the seed-11 lats TaL (lats-2026-12-03e)
PYTHONPATH=$PWD timeout -s INT -k 20 ${KVF_LIMIT:-550} /work/main/.venv/bin/python examples/interleaved_replay.py \
  --trace /tmp/kvfresh/traces/$fam.jsonl --programs $n --rate $rate --reps $reps --schedulers stock,default \
  --engine-args="$engine" --out $out
rc=$?; date -u +"end %H:%M:%S rc $rc"; cat /proc/loadavg
