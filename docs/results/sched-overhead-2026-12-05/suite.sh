#!/bin/bash
# suite.sh: the non-engine suite on this branch (vllm_nexus/, tests/, examples/ = main's)
cd /work/wt/ovh22 && echo "== $(date -u +%H:%M:%S) $(git log -1 --format=%h)" && PYTHONPATH=$PWD timeout 840 /work/main/.venv/bin/pytest -q -m 'not engine' tests/ -p no:cacheprovider 2>&1 | tail -4; echo "== end $(date -u +%H:%M:%S)"
