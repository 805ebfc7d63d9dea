#!/bin/bash
# usage: heldout.sh CANDJSON  -> /tmp/p4/ho/H*.txt/.jsonl  (narrow commands, in parallel, shared lock)
C="cand=plas:$1"
cd /tmp/p4
S() { tag=$1; shift; cd /work/wt/policy4; PYTHONPATH=$PWD /work/wt/shared timeout 900 /work/main/.venv/bin/python examples/policy_sim.py --json /tmp/p4/ho/$tag.jsonl "$@" 2>&1 | grep --line-buffered -v -i "backend prefers\|SSM cache\|Enforce eager\|Inductor\|Triton is\|Runner V2" > /tmp/p4/ho/$tag.txt; }
# stock / oracle rows not re-run here are in docs/results/policy-2026-12-03/sim/ho-*.jsonl (deterministic)
S H1 --settings a100 --workloads mixed --seeds 4,5 --rates '{"mixed":[1]}' --schedulers default --variant "$C" &
S H2 --settings h100 --workloads mixed --seeds 4,5 --rates '{"mixed":[2]}' --schedulers default --variant "$C" &
S H3s4 --settings a100 --workloads agentic --seeds 4 --rates '{"agentic":[1]}' --schedulers default --variant "$C" &
S H3s5 --settings a100 --workloads agentic --seeds 5 --rates '{"agentic":[1]}' --schedulers oracle,default --variant "$C" &
S H4s4 --settings h100 --workloads agentic --seeds 4 --rates '{"agentic":[2]}' --schedulers default --variant "$C" &
S H4s5 --settings h100 --workloads agentic --seeds 5 --rates '{"agentic":[2]}' --schedulers stock,oracle,default --variant "$C" &
S H5a --settings a100 --workloads map-reduce --seeds 4,5 --rates '{"map-reduce":[2]}' --schedulers default --variant "$C" &
S H5h --settings h100 --workloads map-reduce --seeds 4,5 --rates '{"map-reduce":[4]}' --schedulers default --variant "$C" &
S H6 --settings cpu --workloads map-reduce,mixed,lats,agentic,chat,react,coding-agent --seeds 4,5 --schedulers default --variant "$C" &
S H7 --settings cpu-kv --workloads map-reduce,mixed,lats --seeds 4,5 --schedulers default --variant "$C" &
wait
