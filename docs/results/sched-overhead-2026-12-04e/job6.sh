#!/bin/bash
# diagnosis of the all-nine mypyc tree: the decision trace's error (m9, 64/256) and the non-engine suite on this
# branch's compiled build (full output: /tmp/ovh19/t6.txt)
cd /work/wt/ovh19
echo "== start $(date -u +%H:%M:%S)"
(cd /tmp/ovh19/m9 && PYTHONPATH=/tmp/ovh19/m9 timeout 300 /work/main/.venv/bin/python docs/results/sched-overhead-2026-12-02e/trace.py --running 64 --waiting 256 --steps 400 > /tmp/ovh19/t6-trace.txt 2>&1) &
PYTHONPATH=$PWD timeout 900 /work/main/.venv/bin/pytest -q -m 'not engine' tests/ -p no:cacheprovider -rfE > /tmp/ovh19/t6.txt 2>&1; echo "pytest rc $?"
wait
tail -25 /tmp/ovh19/t6-trace.txt
grep -E "^(FAILED|ERROR)|Fatal Python|passed|failed" /tmp/ovh19/t6.txt | head -60
grep -B2 -A25 "Fatal Python" /tmp/ovh19/t6.txt | head -60
echo "== end $(date -u +%H:%M:%S)"
