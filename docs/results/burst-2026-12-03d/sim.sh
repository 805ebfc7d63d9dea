#!/bin/bash
# usage: sim.sh TAG policy_sim.py-args...   -> /tmp/burst/TAG.txt, TAG.jsonl (shared lock, 900 s cap)
tag=$1; shift
cd /work/wt/burst
mkdir -p /tmp/burst
PYTHONPATH=$PWD /work/wt/shared timeout 900 /work/main/.venv/bin/python examples/policy_sim.py --json /tmp/burst/$tag.jsonl "$@" 2>&1 | grep --line-buffered -v -i "backend prefers\|SSM cache\|Enforce eager\|Inductor\|Triton is\|Runner V2" > /tmp/burst/$tag.txt
