#!/bin/bash
# kvfresh2-2026-12-05d: the exclusive commands in the pre-registered order (map-reduce, chat,
# agentic), rates by the rule (rates.txt). Per family up to 3 commands, each
# `/work/wt/exclusive timeout 590 bash run.sh FAMILY N RATE 3` (run.sh adds the repetitions --out
# lacks, fresh servers for each); a family stops at 3 complete repetitions or when a command adds
# none. run.sh itself refuses to start at or after 10:45 UTC. Logs: logs/TAG-K.txt.
# usage: nohup bash chain.sh > logs/chain.txt 2>&1 &
here=$(cd "$(dirname "$0")" && pwd)
complete() {  # repetitions with both schedulers' rows in OUT/rows.jsonl
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
for spec in "MR map-reduce 300 16" "CH chat 300 20" "AG agentic 150 6.3"; do
  set -- $spec; tag=$1 fam=$2 n=$3 rate=$4
  out=/tmp/kvfresh2/runs/$fam-kv-$n-r$rate
  for k in 1 2 3; do
    c0=$(complete "$out")
    [ "$c0" -ge 3 ] && break
    if [ "$(date -u +%H%M)" -ge 1045 ]; then echo "$(date -u +%T) $tag: past 10:45, stop"; exit 0; fi
    echo "$(date -u +%T) $tag-$k queued ($c0 complete)"
    /work/wt/exclusive timeout 590 bash "$here/run.sh" "$fam" "$n" "$rate" 3 > "$here/logs/$tag-$k.txt" 2>&1
    rc=$?
    c1=$(complete "$out")
    echo "$(date -u +%T) $tag-$k done rc=$rc ($c1 complete)"
    [ "$c1" -gt "$c0" ] || break
  done
done
echo "$(date -u +%T) chain end"
