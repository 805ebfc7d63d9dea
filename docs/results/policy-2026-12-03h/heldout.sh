#!/bin/bash
# usage: heldout.sh CANDJSON  -> /tmp/a6/ho-H*.txt/.jsonl (one process at a time, shared lock)
# stock / oracle rows: ../policy-2026-12-03/sim/ho-*.jsonl and ../policy-2026-12-03b/ho-H3s5/H4s5.jsonl
# (deterministic runs; hotable.py reads them); default and the candidate are re-run here.
C="cand=plas:$1"
S=$(dirname "$0")/sim.sh
$S ho-H3 --settings a100 --workloads agentic --seeds 4,5 --rates '{"agentic":[1]}' --schedulers default --variant "$C"
$S ho-H4 --settings h100 --workloads agentic --seeds 4,5 --rates '{"agentic":[2]}' --schedulers default --variant "$C"
$S ho-H6 --settings cpu --workloads map-reduce,mixed,lats,agentic,chat,react,coding-agent --seeds 4,5 --schedulers default --variant "$C"
$S ho-H7 --settings cpu-kv --workloads map-reduce,mixed,lats --seeds 4,5 --schedulers default --variant "$C"
$S ho-H5a --settings a100 --workloads map-reduce --seeds 4,5 --rates '{"map-reduce":[2]}' --schedulers default --variant "$C"
$S ho-H5h --settings h100 --workloads map-reduce --seeds 4,5 --rates '{"map-reduce":[4]}' --schedulers default --variant "$C"
$S ho-H1 --settings a100 --workloads mixed --seeds 4,5 --rates '{"mixed":[1]}' --schedulers default --variant "$C"
$S ho-H2 --settings h100 --workloads mixed --seeds 4,5 --rates '{"mixed":[2]}' --schedulers default --variant "$C"
