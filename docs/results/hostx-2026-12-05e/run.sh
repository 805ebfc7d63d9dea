#!/bin/bash
# hostx-2026-12-05e: stock vs the default (--scheduler-cls vllm_nexus.Scheduler, no options) on this
# session's Intel host. usage: /work/wt/exclusive timeout 590 bash run.sh FAMILY N RATE REP SETTING EST
#   fresh trace /tmp/hostx/traces/FAMILY.jsonl (first N programs) at RATE programs/s, SETTING kv-bound or
#   batch-bound (--max-num-seqs 8 --max-model-len 4096), into /tmp/hostx/runs/FAMILY-SETTING-N-rRATE.
#   One repetition per command: interleaved_replay.py --reps REP runs only the repetition --out lacks
#   (call with REP = 1, 2, 3 in turn), with BOTH SERVERS STARTED ANEW (kvfresh2-2026-12-05d's design),
#   under timeout -s INT 570; EST (s) is only printed. Frozen copy of main in
#   /tmp/hostx/code, ports 8100-8199; not started at or after 14:40 UTC.
cd /tmp/hostx/code || exit 1
export VLLM_NEXUS_PORT_RANGE=8100-8199
if [ "$(date -u +%H%M)" -ge 1440 ]; then echo "not started: $(date -u +%H:%M) is at/after 14:40 UTC"; exit 3; fi
fam=$1 n=$2 rate=$3 rep=$4 setting=$5 est=$6
engine=$setting; [ "$setting" = batch-bound ] && engine="--max-num-seqs 8 --max-model-len 4096"
out=/tmp/hostx/runs/$fam-$setting-$n-r$rate
echo "=== $fam N=$n rate $rate rep $rep (expected ~${est} s) stock,default ($setting, fresh servers per repetition) -> $out"
echo "start $(date -u +%FT%TZ) loadavg $(cat /proc/loadavg)"; echo "code: main $(cat MAIN_COMMIT) (frozen copy)"
md5sum /tmp/hostx/traces/$fam.jsonl
for r in $rep; do
  PYTHONPATH=$PWD timeout -s INT -k 20 570 /work/main/.venv/bin/python examples/interleaved_replay.py \
    --trace /tmp/hostx/traces/$fam.jsonl --programs "$n" --rate "$rate" --reps "$r" --schedulers stock,default \
    --engine-args="$engine" --out "$out"
  rc=$?; echo "rep $r end $(date -u +%FT%TZ) rc=$rc loadavg $(cat /proc/loadavg)"
done
