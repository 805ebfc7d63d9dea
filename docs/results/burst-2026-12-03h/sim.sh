#!/bin/bash
# usage: sim.sh TAG policy_sim.py-args...   -> /tmp/burst2/TAG.txt, TAG.jsonl (shared lock, 900 s cap)
# Logs the UTC start/end to /tmp/burst2/TAG.time; copy the outputs into this directory afterwards.
tag=$1; shift
cd /work/wt/burst2
mkdir -p /tmp/burst2
echo "start $(date -u +%H:%M:%S) args: $*" > /tmp/burst2/$tag.time
PYTHONPATH=$PWD /work/wt/shared timeout 900 /work/main/.venv/bin/python examples/policy_sim.py --json /tmp/burst2/$tag.jsonl "$@" 2>&1 | grep --line-buffered -v -i "backend prefers\|SSM cache\|Enforce eager\|Inductor\|Triton is\|Runner V2" > /tmp/burst2/$tag.txt
echo "end $(date -u +%H:%M:%S)" >> /tmp/burst2/$tag.time
