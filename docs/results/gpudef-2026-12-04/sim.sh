#!/bin/bash
# usage: sim.sh TAG args...   -> /tmp/gpudef/TAG.txt, TAG.jsonl (shared lock; one process)
tag=$1; shift
cd /work/wt/gpudef
echo "start $(date -u +%FT%TZ) $tag $*" >> /tmp/gpudef/log.txt
PYTHONPATH=$PWD /work/wt/shared timeout 1800 /work/main/.venv/bin/python examples/policy_sim.py --json /tmp/gpudef/$tag.jsonl "$@" 2>&1 | grep --line-buffered -v -i "backend prefers\|SSM cache\|Enforce eager\|Inductor\|Triton is\|Runner V2" > /tmp/gpudef/$tag.txt
echo "end $(date -u +%FT%TZ) $tag" >> /tmp/gpudef/log.txt
