#!/bin/bash
# kvchat-2026-12-05d: the exclusive commands in the pre-registered order.
#   1. waits until 10:42 UTC (the lead's chain holds the machine until then);
#   2. FIND-k: `/work/wt/exclusive timeout 590 bash find.sh` (step a; up to 2 commands if the
#      first is cut by time: "LOAD-FINDING INCOMPLETE");
#   3. if "CHOSEN RATE R": the fresh rate and N for R from fresh_rates.txt (the rate rule, applied
#      before any replay), then CH-k: `/work/wt/exclusive timeout 590 bash run.sh N RATE 3` until 3
#      complete repetitions, or a command adds none, or 11:30 UTC (no new exclusive command after);
#      if "NO BINDING LOAD FOUND": no fresh run.
# usage: nohup bash chain.sh > logs/chain.txt 2>&1 &
here=$(cd "$(dirname "$0")" && pwd)
late() { [ "$(date -u +%H%M)" -ge 1130 ]; }
while [ "$(date -u +%H%M)" -lt 1042 ]; do sleep 10; done
echo "$(date -u +%T) chain start"
rate=""
for k in 1 2; do
  late && { echo "$(date -u +%T) FIND-$k: at/after 11:30, stop"; exit 0; }
  echo "$(date -u +%T) FIND-$k queued"
  /work/wt/exclusive timeout 590 bash "$here/find.sh" > "$here/logs/FIND-$k.txt" 2>&1
  echo "$(date -u +%T) FIND-$k done rc=$? : $(grep -E 'CHOSEN RATE|NO BINDING|INCOMPLETE' "$here/logs/FIND-$k.txt")"
  grep -q "NO BINDING LOAD FOUND" "$here/logs/FIND-$k.txt" && { echo "no binding load found: no fresh run"; exit 0; }
  rate=$(sed -n 's/^CHOSEN RATE //p' "$here/logs/FIND-$k.txt")
  [ -n "$rate" ] && break
  grep -q "LOAD-FINDING INCOMPLETE" "$here/logs/FIND-$k.txt" || { echo "find.sh gave no verdict: stop"; exit 0; }
done
[ -n "$rate" ] || { echo "$(date -u +%T) load-finding incomplete after 2 commands: stop"; exit 0; }
set -- $(awk -v r="$rate" '$1 == r {print $2, $3}' "$here/fresh_rates.txt")
frate=$1 n=$2
[ -n "$frate" ] && [ -n "$n" ] || { echo "no fresh rate for $rate in fresh_rates.txt"; exit 1; }
echo "$(date -u +%T) seed-11 rate $rate -> fresh chat 9226: N=$n rate $frate"
out=/tmp/kvchat/runs/chat9226-kv-$n-r$frate
complete() {
  /work/main/.venv/bin/python -c '
import json, sys
reps = {}
try:
    for line in open(sys.argv[1] + "/rows.jsonl"):
        r = json.loads(line)
        if r.get("rep") is not None:
            reps.setdefault(r["rep"], set()).add(r["sched"])
except FileNotFoundError:
    pass
print(sum(1 for s in reps.values() if {"stock", "default"} <= s))' "$1"
}
for k in 1 2 3; do
  c0=$(complete "$out")
  [ "$c0" -ge 3 ] && break
  late && { echo "$(date -u +%T) CH-$k: at/after 11:30, stop"; break; }
  echo "$(date -u +%T) CH-$k queued ($c0 complete)"
  /work/wt/exclusive timeout 590 bash "$here/run.sh" "$n" "$frate" 3 > "$here/logs/CH-$k.txt" 2>&1
  rc=$?
  c1=$(complete "$out")
  echo "$(date -u +%T) CH-$k done rc=$rc ($c1 complete)"
  [ "$c1" -gt "$c0" ] || break
done
echo "$(date -u +%T) chain end"
