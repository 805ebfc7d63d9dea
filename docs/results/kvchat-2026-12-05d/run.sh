#!/bin/bash
# usage: /work/wt/exclusive timeout 590 bash run.sh N RATE REPS
#   kvchat-2026-12-05d, step (c): stock vs the default (--scheduler-cls vllm_nexus.Scheduler, no
#   options), KV-bound (--engine-args kv-bound), the fresh `chat` trace /tmp/kvchat/traces/chat9226.jsonl
#   (first N programs) at RATE programs/s, into /tmp/kvchat/runs/chat9226-kv-N-rRATE.
#   kvfresh2-2026-12-05d's run.sh: for r = 1..REPS one interleaved_replay.py call with --reps r: it
#   runs only the repetition --out lacks, with BOTH SERVERS STARTED ANEW. A repetition starts only
#   if 160 s are left before 570 s of the command; it runs under timeout -s INT of the time left;
#   the command stops at the first failed repetition. Frozen copy of main in /tmp/kvchat/code,
#   ports 8300-8399; not started before 10:42 or at/after 11:30 UTC.
cd /tmp/kvchat/code || exit 1
export VLLM_NEXUS_PORT_RANGE=8300-8399
now=$(date -u +%H%M)
if [ "$now" -lt 1042 ] || [ "$now" -ge 1130 ]; then echo "not started: $(date -u +%H:%M) is outside 10:42-11:30 UTC"; exit 3; fi
n=$1 rate=$2 reps=$3 est=160
trace=/tmp/kvchat/traces/chat9226.jsonl
out=/tmp/kvchat/runs/chat9226-kv-$n-r$rate
t0=$(date +%s)
echo "=== chat 9226 N=$n rate $rate reps<=$reps stock,default (kv-bound, fresh servers per repetition) -> $out"
echo "start $(date -u +%FT%TZ) loadavg $(cat /proc/loadavg)"
echo "code: main $(cat MAIN_COMMIT) (frozen copy)"; md5sum $trace
for r in $(seq 1 "$reps"); do
  left=$((570 - ($(date +%s) - t0)))
  if [ "$left" -lt "$est" ]; then echo "rep $r not started: ${left} s left < ${est} s"; break; fi
  PYTHONPATH=$PWD timeout -s INT -k 20 "$left" /work/main/.venv/bin/python examples/interleaved_replay.py \
    --trace $trace --programs "$n" --rate "$rate" --reps "$r" --schedulers stock,default \
    --engine-args=kv-bound --out "$out"
  rc=$?
  echo "rep $r end $(date -u +%FT%TZ) rc=$rc loadavg $(cat /proc/loadavg)"
  [ "$rc" -eq 0 ] || break
done
echo "end $(date -u +%FT%TZ)"
