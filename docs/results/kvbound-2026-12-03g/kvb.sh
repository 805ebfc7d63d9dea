#!/bin/bash
# usage: kvb.sh TAG FAMILY PROGRAMS RATE REPS [SCHEDULERS]
#   one exclusive command: examples/interleaved_replay.py --rate RATE --reps REPS on
#   /tmp/kvb/runs/FAMILY-kv-NPROGRAMS-rRATE with the kv-bound engine preset (runs the
#   repetitions below REPS not yet complete there: --reps K+1 = repetition K alone).
#   Schedulers (default stock,default).
#   Runs from the git tree that holds this script. KVB_OUT names another run dir (dry runs).
# Run under the exclusive lock: /work/wt/exclusive timeout 690 ./kvb.sh ...
cd "$(git -C "$(dirname "$0")" rev-parse --show-toplevel)" || exit 1
export VLLM_NEXUS_PORT_RANGE=8700-8899
# the session's rule: no new exclusive measurement after 20:20 UTC
if [ "$(date -u +%H%M)" -ge "${KVB_NOT_AFTER:-2020}" ]; then echo "not started: $(date -u +%H:%M) is past ${KVB_NOT_AFTER:-2020} UTC"; exit 0; fi
tag=$1 fam=$2 n=$3 rate=$4 reps=$5 scheds=${6:-stock,default}
out=${KVB_OUT:-/tmp/kvb/runs/$fam-kv-$n-r$rate}
echo "=== $tag: $fam N=$n rate $rate reps<$reps $scheds (kv-bound) -> $out"; date -u +"start %H:%M:%S"; cat /proc/loadavg; git log --oneline -1
md5sum /tmp/kvb/traces/$fam.jsonl
PYTHONPATH=$PWD timeout -s INT -k 30 ${KVB_LIMIT:-660} /work/main/.venv/bin/python examples/interleaved_replay.py \
  --trace /tmp/kvb/traces/$fam.jsonl --programs $n --rate $rate --reps $reps --schedulers $scheds \
  --engine-args kv-bound --out $out
rc=$?; date -u +"end %H:%M:%S rc $rc"; cat /proc/loadavg
