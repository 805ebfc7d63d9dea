#!/bin/bash
# usage: /work/wt/exclusive timeout 590 bash find.sh
#   kvchat-2026-12-05d, step (a): the load-finding step on the TUNING seed-11 `chat` trace
#   (/tmp/kvchat/traces/chat-s11.jsonl, md5 4021879c...). STOCK ONLY, KV-bound (--engine-args
#   kv-bound), 300 programs, one replay per candidate rate in ascending order 30, 40, 60
#   programs/s, each with a fresh server (one 15-program warm-up, then the measured replay) into
#   /tmp/kvchat/runs/find-s11-300-rRATE. The rule (pre-registered): the chosen rate is the LOWEST
#   candidate at which the stock replay queued in >= 40% of the 1 s samples AND >= 90% of those
#   samples were KV-bound; the script stops at the first candidate that meets it (the higher ones
#   cannot be lower). A candidate starts only if 150 s are left before 570 s of the command; a
#   candidate already measured (a stock rep-0 row in its --out) is evaluated, not re-run, so a
#   second command continues an interrupted search ("LOAD-FINDING INCOMPLETE").
#   Prints "CHOSEN RATE R" or "NO BINDING LOAD FOUND". Frozen copy of main in /tmp/kvchat/code,
#   ports 8300-8399; not started before 10:42 or at/after 11:30 UTC.
here=$(cd "$(dirname "$0")" && pwd)
cd /tmp/kvchat/code || exit 1
export VLLM_NEXUS_PORT_RANGE=8300-8399
now=$(date -u +%H%M)
if [ "$now" -lt 1042 ] || [ "$now" -ge 1130 ]; then echo "not started: $(date -u +%H:%M) is outside 10:42-11:30 UTC"; exit 3; fi
trace=/tmp/kvchat/traces/chat-s11.jsonl
t0=$(date +%s)
echo "=== find: chat seed 11 N=300 rates 30,40,60 stock only (kv-bound, fresh server per rate)"
echo "start $(date -u +%FT%TZ) loadavg $(cat /proc/loadavg)"
echo "code: main $(cat MAIN_COMMIT) (frozen copy)"; md5sum $trace
md5sum $trace | grep -q ^4021879c4af3f7595018c5cd489a8d9a || { echo "seed-11 trace md5 is not 4021879c...: stop"; exit 4; }
chosen="" incomplete=0
for rate in 30 40 60; do
  out=/tmp/kvchat/runs/find-s11-300-r$rate
  verdict=$(/work/main/.venv/bin/python "$here/verdict.py" "$out")
  if [ "$verdict" = none ]; then
    left=$((570 - ($(date +%s) - t0)))
    if [ "$left" -lt 150 ]; then echo "rate $rate not started: ${left} s left < 150 s"; incomplete=1; break; fi
    PYTHONPATH=$PWD timeout -s INT -k 20 "$left" /work/main/.venv/bin/python examples/interleaved_replay.py \
      --trace $trace --programs 300 --rate $rate --reps 1 --schedulers stock \
      --engine-args=kv-bound --out "$out"
    rc=$?
    echo "rate $rate end $(date -u +%FT%TZ) rc=$rc loadavg $(cat /proc/loadavg)"
    verdict=$(/work/main/.venv/bin/python "$here/verdict.py" "$out")
    if [ "$verdict" = none ]; then incomplete=1; break; fi  # a row is written before the report: rc != 0 after it still counts
  else
    echo "rate $rate: measured by an earlier command"
  fi
  echo "rate $rate: $verdict"
  case $verdict in *BINDS) chosen=$rate; break ;; esac
done
if [ -n "$chosen" ]; then echo "CHOSEN RATE $chosen"
elif [ "$incomplete" -eq 1 ]; then echo "LOAD-FINDING INCOMPLETE"
else echo "NO BINDING LOAD FOUND"; fi
echo "end $(date -u +%FT%TZ)"
