#!/bin/bash
# m9 rebuilt (ProgramRequestQueue kept a Python class: python_class), its decision digests, its
# per-step Ir / L2 misses (irsteps.sh, labels m9c_*), the gate for m9 (gate.py m9c) (the branch's build and tests: job8)
R=/work/wt/ovh19/docs/results/sched-overhead-2026-12-04e
cd /work/wt/ovh19
echo "== start $(date -u +%H:%M:%S)"; rm -f /tmp/ovh19/GO  # (the gate below decides for m9 alone)
bash $R/bld.sh /tmp/ovh19/base /tmp/ovh19/m9 tenants,levels,decode_charge,charging,preemption,queues,request_queue,sizes,table /work/wt/ovh19 > /tmp/ovh19/bld-m9c.txt 2>&1
grep -v "^ \|^!!\|^$\|Deprecation\|corresp\|\*\*\*" /tmp/ovh19/bld-m9c.txt
echo "== digests m9 $(date -u +%H:%M:%S)"; timeout 400 bash /work/main/docs/results/sched-overhead-2026-12-03d/trace.sh /tmp/ovh19/m9 > /tmp/ovh19/dig-m9c.txt 2>&1; tail -3 /tmp/ovh19/dig-m9c.txt
echo "== irsteps $(date -u +%H:%M:%S)"
VG="--cache-sim=yes --LL=1048576,8,64" bash $R/irsteps.sh /tmp/ovh19/m9 m9c_1m --side ours --steps 200 > /tmp/ovh19/m9c_1m.out 2>&1 &
VG="--cache-sim=yes --LL=524288,8,64" bash $R/irsteps.sh /tmp/ovh19/m9 m9c_512 --side ours --steps 200 > /tmp/ovh19/m9c_512.out 2>&1
wait
cat /tmp/ovh19/m9c_1m.out /tmp/ovh19/m9c_512.out
for l in m9c_512 m9c_1m; do echo "== $l"; /work/main/.venv/bin/python $R/stepsum.py $(ls /tmp/ovh19/cg/$l.*.1 | sed 's/\.1$//'); done
/work/main/.venv/bin/python $R/gate.py m9c
echo "== end $(date -u +%H:%M:%S)"
