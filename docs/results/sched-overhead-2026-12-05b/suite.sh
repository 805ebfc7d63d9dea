#!/bin/bash
# suite.sh TREE: the non-engine test suite (BRIEF), under the shared lock.
cd $1 && echo "== start $(date -u +%H:%M:%S)" && PYTHONPATH=$1 timeout 840 /work/main/.venv/bin/pytest -q -m 'not engine' tests/ -p no:cacheprovider 2>&1 | tail -5; echo "== end $(date -u +%H:%M:%S)"
