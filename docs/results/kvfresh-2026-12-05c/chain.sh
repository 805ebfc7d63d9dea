#!/bin/bash
# The four exclusive commands of README "Applied", one after another; each checks the 09:00 UTC
# cut-off itself once it holds the lock. Logs: /tmp/kvfresh/logs/TAG.txt
D=$(cd "$(dirname "$0")" && pwd); mkdir -p /tmp/kvfresh/logs
run() { /work/wt/exclusive timeout 590 env KVF_LIMIT=565 bash $D/kvf.sh "$@" > /tmp/kvfresh/logs/$1.txt 2>&1; echo "$1 rc $? $(date -u +%H:%M:%S)" >> /tmp/kvfresh/logs/chain.txt; }
run LK lats 40 2.8 3 kv-bound
run CK coding-agent 150 7 3 kv-bound
run RK react 300 40 3 kv-bound
run LB lats 40 2.1 3 batch-bound
