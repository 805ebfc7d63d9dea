#!/bin/bash
# usage: /work/wt/exclusive timeout 590 bash run.sh FAMILY N RATE REPS
#   kvfresh2-2026-12-05d: stock vs the default (--scheduler-cls vllm_nexus.Scheduler, no options),
#   KV-bound (--engine-args kv-bound), fresh trace /tmp/kvfresh2/traces/FAMILY.jsonl (first N
#   programs) at RATE programs/s, into /tmp/kvfresh2/runs/FAMILY-kv-N-rRATE. For r = 1..REPS one
#   interleaved_replay.py call with --reps r: it runs only the repetition --out lacks, with BOTH
#   SERVERS STARTED ANEW (react9973-rerun-2026-12-05c's design). A repetition starts only if its
#   expected duration (EST s) is left before 570 s of the command; it runs under timeout -s INT of
#   the time left; the command stops at the first failed repetition. Frozen copy of main in
#   /tmp/kvfresh2/code, ports 8300-8399; not started at or after 10:45 UTC.
cd /tmp/kvfresh2/code || exit 1
export VLLM_NEXUS_PORT_RANGE=8300-8399
if [ "$(date -u +%H%M)" -ge 1045 ]; then echo "not started: $(date -u +%H:%M) is at/after 10:45 UTC"; exit 3; fi
fam=$1 n=$2 rate=$3 reps=$4
case $fam in map-reduce) est=220 ;; chat) est=160 ;; agentic) est=330 ;; *) echo "unknown family $fam"; exit 2 ;; esac
out=/tmp/kvfresh2/runs/$fam-kv-$n-r$rate
t0=$(date +%s)
echo "=== $fam N=$n rate $rate reps<=$reps stock,default (kv-bound, fresh servers per repetition) -> $out"
echo "start $(date -u +%FT%TZ) loadavg $(cat /proc/loadavg)"
echo "code: main $(cat MAIN_COMMIT) (frozen copy)"; md5sum /tmp/kvfresh2/traces/$fam.jsonl
for r in $(seq 1 "$reps"); do
  left=$((570 - ($(date +%s) - t0)))
  if [ "$left" -lt "$est" ]; then echo "rep $r not started: ${left} s left < ${est} s"; break; fi
  PYTHONPATH=$PWD timeout -s INT -k 20 "$left" /work/main/.venv/bin/python examples/interleaved_replay.py \
    --trace /tmp/kvfresh2/traces/$fam.jsonl --programs "$n" --rate "$rate" --reps "$r" --schedulers stock,default \
    --engine-args=kv-bound --out "$out"
  rc=$?
  echo "rep $r end $(date -u +%FT%TZ) rc=$rc loadavg $(cat /proc/loadavg)"
  [ "$rc" -eq 0 ] || break
done
echo "end $(date -u +%FT%TZ)"
