#!/bin/bash
# usage: sim.sh TAG args...   -> /tmp/gpukv/TAG.txt, TAG.jsonl (shared lock; one process)
# (copied here afterwards); log.txt gets every command with its UTC start and end.
tag=$1; shift
cd "${CODE:-/work/wt/gpukv}"  # CODE: a snapshot of a commit (git archive), for the held-out runs
echo "start $(date -u +%FT%TZ) $tag $*" >> /tmp/gpukv/log.txt
PYTHONPATH=$PWD /work/wt/shared timeout 3000 /work/main/.venv/bin/python examples/policy_sim.py --json /tmp/gpukv/$tag.jsonl "$@" 2>&1 | grep --line-buffered -v -i "backend prefers\|SSM cache\|Enforce eager\|Inductor\|Triton is\|Runner V2" > /tmp/gpukv/$tag.txt
echo "end $(date -u +%FT%TZ) $tag rc=${PIPESTATUS[0]}" >> /tmp/gpukv/log.txt
