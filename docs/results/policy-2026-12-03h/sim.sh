#!/bin/bash
# usage: sim.sh TAG args...   -> /tmp/a6/TAG.txt, TAG.jsonl (shared lock; one process)
tag=$1; shift
cd /work/wt/agentic6
echo "start $(date -u +%FT%TZ) $tag $*" >> /tmp/a6/log.txt
PYTHONPATH=$PWD /work/wt/shared timeout 1800 /work/main/.venv/bin/python examples/policy_sim.py --json /tmp/a6/$tag.jsonl "$@" 2>&1 | grep --line-buffered -v -i "backend prefers\|SSM cache\|Enforce eager\|Inductor\|Triton is\|Runner V2" > /tmp/a6/$tag.txt
echo "end $(date -u +%FT%TZ) $tag" >> /tmp/a6/log.txt
