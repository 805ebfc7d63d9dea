#!/bin/bash
# usage: sim.sh TAG policy_sim.py-args...  -> /tmp/wb/TAG.txt, TAG.jsonl (shared lock, 590 s cap)
# Runs the frozen copy /tmp/wb/code (git archive of the commit under test).
tag=$1; shift
cd /tmp/wb/code
PYTHONPATH=$PWD /work/wt/shared timeout 590 /work/main/.venv/bin/python examples/policy_sim.py --json /tmp/wb/$tag.jsonl "$@" 2>&1 | grep --line-buffered -v -i "backend prefers\|SSM cache\|Enforce eager\|Inductor\|Triton is\|Runner V2" > /tmp/wb/$tag.txt
echo "rc=${PIPESTATUS[0]} $(date -u +%T)" >> /tmp/wb/$tag.txt
