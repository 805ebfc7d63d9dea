#!/bin/bash
# usage: sim.sh TAG args...   -> /tmp/a5/TAG.txt, TAG.jsonl
tag=$1; shift
cd /work/wt/agentic5
PYTHONPATH=$PWD /work/wt/shared timeout 900 /work/main/.venv/bin/python examples/policy_sim.py --json /tmp/a5/$tag.jsonl "$@" 2>&1 | grep --line-buffered -v -i "backend prefers\|SSM cache\|Enforce eager\|Inductor\|Triton is\|Runner V2" > /tmp/a5/$tag.txt
