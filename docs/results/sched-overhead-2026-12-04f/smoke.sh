#!/bin/bash
# zones.py smoke test natively (client requests are no-ops outside valgrind): 1k programs, 5+5 steps
cd /tmp/ovh20/base
for side in ours stock; do
ZONES=/tmp/ovh20/smoke-$side.json PYTHONHASHSEED=0 TREE=/tmp/ovh20/base PYTHONPATH=/tmp/ovh20/base timeout 300 /work/main/.venv/bin/python /work/wt/ovh20/docs/results/sched-overhead-2026-12-04f/irsteps.py --side $side --steps 5 --warmup 5 --programs 1000 2>&1 | tail -3
/work/main/.venv/bin/python -c "import json; d=json.load(open('/tmp/ovh20/smoke-$side.json')); print(len(d), 'zones'); print(sorted(set(v[1] for v in d.values()))[:400])"
done
