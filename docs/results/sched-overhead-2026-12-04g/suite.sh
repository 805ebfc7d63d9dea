#!/bin/bash
cd /work/wt/ovh21
echo "== $(date -u +%H:%M:%S) $(git log -1 --format=%h); vllm_nexus/ tests/ examples/ vs main: $(git diff --stat f592133 -- vllm_nexus tests examples | tail -1)"
PYTHONPATH=$PWD timeout 900 /work/main/.venv/bin/pytest -q -m 'not engine' tests/ -p no:cacheprovider 2>&1 | tail -4
echo "== end $(date -u +%H:%M:%S)"
