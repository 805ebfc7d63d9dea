#!/bin/bash
# usage: heldout.sh CANDJSON  -> /tmp/a5/ho/H*.txt/.jsonl  (narrow commands, in parallel, shared lock)
C="cand=plas:$1"
cd /tmp/a5
S() { tag=$1; shift; cd /work/wt/agentic5; PYTHONPATH=$PWD /work/wt/shared timeout 900 /work/main/.venv/bin/python examples/policy_sim.py --json /tmp/a5/ho/$tag.jsonl "$@" 2>&1 | grep --line-buffered -v -i "backend prefers\|SSM cache\|Enforce eager\|Inductor\|Triton is\|Runner V2" > /tmp/a5/ho/$tag.txt; }
# stock / oracle rows: docs/results/policy-2026-12-03/sim/ho-*.jsonl and ../policy-2026-12-03b/ho-H3s5/H4s5.jsonl;
# num_queues 10 alone: the "cand" rows of ../policy-2026-12-03b/ho-*.jsonl (deterministic runs)
S H1 --settings a100 --workloads mixed --seeds 4,5 --rates '{"mixed":[1]}' --schedulers default --variant "$C" &
S H2 --settings h100 --workloads mixed --seeds 4,5 --rates '{"mixed":[2]}' --schedulers default --variant "$C" &
S H3s4 --settings a100 --workloads agentic --seeds 4 --rates '{"agentic":[1]}' --schedulers default --variant "$C" &
S H3s5 --settings a100 --workloads agentic --seeds 5 --rates '{"agentic":[1]}' --schedulers default --variant "$C" &
S H4s4 --settings h100 --workloads agentic --seeds 4 --rates '{"agentic":[2]}' --schedulers default --variant "$C" &
S H4s5 --settings h100 --workloads agentic --seeds 5 --rates '{"agentic":[2]}' --schedulers default --variant "$C" &
S H5a --settings a100 --workloads map-reduce --seeds 4,5 --rates '{"map-reduce":[2]}' --schedulers default --variant "$C" &
S H5h --settings h100 --workloads map-reduce --seeds 4,5 --rates '{"map-reduce":[4]}' --schedulers default --variant "$C" &
S H6 --settings cpu --workloads map-reduce,mixed,lats,agentic,chat,react,coding-agent --seeds 4,5 --schedulers default --variant "$C" &
S H7 --settings cpu-kv --workloads map-reduce,mixed,lats --seeds 4,5 --schedulers default --variant "$C" &
wait
