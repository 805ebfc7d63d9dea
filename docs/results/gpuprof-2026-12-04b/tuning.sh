#!/bin/bash
# usage: tuning.sh {batch|kv}  -> tuning seeds 0, 1; stock, default, oracle, n10w8m2, n10w8m2p
# one process per preset (shared lock); the rates: the higher rate of each setting's pair.
M2='{"scheduler":{"num_queues":10,"fanout_service_weight":8,"fanout_min_stages":2}}'
M2P='{"scheduler":{"num_queues":10,"fanout_service_weight":8,"fanout_min_stages":2,"fanout_weight_preempts":false}}'
S=$(dirname "$0")/sim.sh
V=(--schedulers stock,default,oracle --variant "n10w8m2=plas:$M2" --variant "n10w8m2p=plas:$M2P")
W=mixed,agentic,map-reduce,coding-agent
if [ "$1" = batch ]; then
  $S T-A --settings a100 --workloads $W --seeds 0,1 \
    --rates '{"mixed":[1],"agentic":[1],"map-reduce":[2],"coding-agent":[1.6]}' "${V[@]}" &
  $S T-H --settings h100 --workloads $W --seeds 0,1 \
    --rates '{"mixed":[2],"agentic":[2],"map-reduce":[4],"coding-agent":[3.2]}' "${V[@]}" &
else
  $S T-AK --settings a100-kv --workloads $W --seeds 0,1 \
    --rates '{"mixed":[1],"agentic":[1],"map-reduce":[2],"coding-agent":[0.8]}' "${V[@]}" &
  $S T-HK --settings h100-kv --workloads $W --seeds 0,1 \
    --rates '{"mixed":[2],"agentic":[2],"map-reduce":[4],"coding-agent":[1.6]}' "${V[@]}" &
fi
wait
