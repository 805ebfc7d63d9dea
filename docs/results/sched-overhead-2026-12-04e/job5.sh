#!/bin/bash
# m9 rebuilt (queues: sizes / size_gate typed Any as PreemptionRules declares them), its decision digests, its
# per-step Ir / L2 misses (irsteps.sh, labels m9b_*), the gate for m9 (gate.py m9b); then this branch: mypy on the
# nine modules, the productised build in the worktree (python -m vllm_nexus.programs._build, mypy from
# /tmp/ovh19/mp) and the non-engine suite on the compiled modules
R=/work/wt/ovh19/docs/results/sched-overhead-2026-12-04e
cd /work/wt/ovh19
echo "== start $(date -u +%H:%M:%S)"; rm -f /tmp/ovh19/GO  # (the gate below decides for m9 alone)
bash $R/bld.sh /tmp/ovh19/base /tmp/ovh19/m9 tenants,levels,decode_charge,charging,preemption,queues,request_queue,sizes,table /work/wt/ovh19 > /tmp/ovh19/bld-m9b.txt 2>&1
grep -v "^ \|^!!\|^$\|Deprecation\|corresp\|\*\*\*" /tmp/ovh19/bld-m9b.txt
echo "== digests m9 $(date -u +%H:%M:%S)"; timeout 400 bash /work/main/docs/results/sched-overhead-2026-12-03d/trace.sh /tmp/ovh19/m9 > /tmp/ovh19/dig-m9b.txt 2>&1; tail -3 /tmp/ovh19/dig-m9b.txt
echo "== irsteps $(date -u +%H:%M:%S)"
VG="--cache-sim=yes --LL=1048576,8,64" bash $R/irsteps.sh /tmp/ovh19/m9 m9b_1m --side ours --steps 200 > /tmp/ovh19/m9b_1m.out 2>&1 &
VG="--cache-sim=yes --LL=524288,8,64" bash $R/irsteps.sh /tmp/ovh19/m9 m9b_512 --side ours --steps 200 > /tmp/ovh19/m9b_512.out 2>&1
wait
cat /tmp/ovh19/m9b_1m.out /tmp/ovh19/m9b_512.out
for l in m9b_512 m9b_1m; do echo "== $l"; /work/main/.venv/bin/python $R/stepsum.py $(ls /tmp/ovh19/cg/$l.*.1 | sed 's/\.1$//'); done
/work/main/.venv/bin/python $R/gate.py m9b
echo "== mypy $(date -u +%H:%M:%S)"
bash $R/mypy.sh /work/wt/ovh19 2>&1 | tail -3
echo "== build $(date -u +%H:%M:%S)"
PYTHONPATH=$PWD timeout 600 /work/main/.venv/bin/python -m vllm_nexus.programs._build --tools /tmp/ovh19/mp
PYTHONPATH=$PWD /work/main/.venv/bin/python -c 'from vllm_nexus.programs import _compiled as c; print(c.report())'
echo "== tests compiled $(date -u +%H:%M:%S)"
PYTHONPATH=$PWD timeout 900 /work/main/.venv/bin/pytest -q -m 'not engine' tests/ -p no:cacheprovider --maxfail=40 2>&1 | tail -60
echo "== end $(date -u +%H:%M:%S)"
