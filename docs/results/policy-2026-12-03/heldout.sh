#!/bin/bash
# usage: heldout.sh CANDJSON   (runs three sims in parallel under the shared lock)
C="cand=plas:$1"
cd /tmp/p3
./sim.sh ho-a100 --settings a100 --workloads map-reduce,mixed,agentic --seeds 4,5 --rates '{"map-reduce":[2],"mixed":[1],"agentic":[1]}' --schedulers stock,default,oracle --variant "$C" &
./sim.sh ho-h100 --settings h100 --workloads map-reduce,mixed,agentic --seeds 4,5 --rates '{"map-reduce":[4],"mixed":[2],"agentic":[2]}' --schedulers stock,default,oracle --variant "$C" &
./sim.sh ho-cpu --settings cpu --workloads map-reduce,mixed,lats,agentic,chat,react,coding-agent --seeds 4,5 --schedulers stock,default,oracle --variant "$C" &
wait
