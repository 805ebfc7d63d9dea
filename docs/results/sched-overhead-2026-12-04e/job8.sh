#!/bin/bash
# this branch: mypy on the nine modules, the productised build in the worktree (python -m vllm_nexus.programs._build,
# mypy from /tmp/ovh19/mp) and the non-engine suite on the compiled modules
R=/work/wt/ovh19/docs/results/sched-overhead-2026-12-04e
cd /work/wt/ovh19
echo "== start $(date -u +%H:%M:%S)"
echo "== mypy $(date -u +%H:%M:%S)"
bash $R/mypy.sh /work/wt/ovh19 2>&1 | tail -3
echo "== build $(date -u +%H:%M:%S)"
PYTHONPATH=$PWD timeout 600 /work/main/.venv/bin/python -m vllm_nexus.programs._build --tools /tmp/ovh19/mp
PYTHONPATH=$PWD /work/main/.venv/bin/python -c 'from vllm_nexus.programs import _compiled as c; print(c.report())'
echo "== tests compiled $(date -u +%H:%M:%S)"
PYTHONPATH=$PWD timeout 900 /work/main/.venv/bin/pytest -q -m 'not engine' tests/ -p no:cacheprovider -rfE > /tmp/ovh19/t7.txt 2>&1; echo "pytest rc $?"
grep -E "^(FAILED|ERROR)|passed|failed|Segfault|Fatal" /tmp/ovh19/t7.txt | head -60
echo "== end $(date -u +%H:%M:%S)"
