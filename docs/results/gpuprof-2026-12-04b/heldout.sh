#!/bin/bash
# usage: heldout.sh {batch|kv} CANDJSON -> /tmp/gpukv/ho-*.{txt,jsonl}; fresh seeds 12, 13.
# stock, default, the candidate and the oracle; run from CODE (a git-archive snapshot of the
# branch commit, so that editing the worktree cannot change a running simulation); shared
# lock, four processes (preset x seed) per setting, one setting per command.
C="cand=plas:$2"
S=$(dirname "$(readlink -f "$0")")/sim.sh
W=mixed,agentic,map-reduce,coding-agent
V=(--schedulers stock,default,oracle --variant "$C")
for seed in 12 13; do
  if [ "$1" = batch ]; then
    $S ho-A-s$seed --settings a100 --workloads $W --seeds $seed \
      --rates '{"mixed":[1],"agentic":[1],"map-reduce":[2],"coding-agent":[1.6]}' "${V[@]}" &
    $S ho-H-s$seed --settings h100 --workloads $W --seeds $seed \
      --rates '{"mixed":[2],"agentic":[2],"map-reduce":[4],"coding-agent":[3.2]}' "${V[@]}" &
  else
    $S ho-AK-s$seed --settings a100-kv --workloads $W --seeds $seed \
      --rates '{"mixed":[1],"agentic":[1],"map-reduce":[2],"coding-agent":[0.8]}' "${V[@]}" &
    $S ho-HK-s$seed --settings h100-kv --workloads $W --seeds $seed \
      --rates '{"mixed":[2],"agentic":[2],"map-reduce":[4],"coding-agent":[1.6]}' "${V[@]}" &
  fi
done
wait
