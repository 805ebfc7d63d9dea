#!/bin/bash
# usage: heldout.sh CANDJSON  -> /tmp/gpudef/ho-{A,H}{1,2}.{txt,jsonl}; fresh seeds 8, 9
# stock, default, the candidate and the oracle all run here (deterministic); shared lock,
# four processes (A100 / H100 x two family groups) so that the run fits the session.
C="cand=plas:$1"
S=$(dirname "$0")/sim.sh
$S ho-A1 --settings a100 --workloads mixed,agentic --seeds 8,9 \
  --rates '{"mixed":[1],"agentic":[1]}' --schedulers stock,default,oracle --variant "$C" &
$S ho-A2 --settings a100 --workloads map-reduce,coding-agent --seeds 8,9 \
  --rates '{"map-reduce":[2],"coding-agent":[1.6]}' --schedulers stock,default,oracle --variant "$C" &
$S ho-H1 --settings h100 --workloads mixed,agentic --seeds 8,9 \
  --rates '{"mixed":[2],"agentic":[2]}' --schedulers stock,default,oracle --variant "$C" &
$S ho-H2 --settings h100 --workloads map-reduce,coding-agent --seeds 8,9 \
  --rates '{"map-reduce":[4],"coding-agent":[3.2]}' --schedulers stock,default,oracle --variant "$C" &
wait
