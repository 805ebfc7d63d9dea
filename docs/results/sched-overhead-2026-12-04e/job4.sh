#!/bin/bash
# rebuild m4 / m9 from this branch's fixed sources (sizes: numpy annotations; charging: self: Any), mypy,
# the decision digests of both, then per-step Ir / L2 misses (irsteps.sh): m9 (1 MB and 512 KB L2 models),
# m4 (1 MB) and stock on main's tree (1 MB)
R=/work/wt/ovh19/docs/results/sched-overhead-2026-12-04e
echo "== start $(date -u +%H:%M:%S)"
# (mypy.sh moved to job5: the mypyc build type-checks the nine modules itself)
bash $R/bld.sh /tmp/ovh19/base /tmp/ovh19/m4 tenants,levels,decode_charge,charging /work/wt/ovh19 > /tmp/ovh19/bld-m4.txt 2>&1 &
bash $R/bld.sh /tmp/ovh19/base /tmp/ovh19/m9 tenants,levels,decode_charge,charging,preemption,queues,request_queue,sizes,table /work/wt/ovh19 > /tmp/ovh19/bld-m9.txt 2>&1
wait; grep -v "^ \|^!!\|^$\|Deprecation\|corresp\|\*\*\*" /tmp/ovh19/bld-m4.txt /tmp/ovh19/bld-m9.txt
for t in m4 m9; do echo "== digests $t $(date -u +%H:%M:%S)"; timeout 400 bash /work/main/docs/results/sched-overhead-2026-12-03d/trace.sh /tmp/ovh19/$t > /tmp/ovh19/dig-$t.txt 2>&1; tail -3 /tmp/ovh19/dig-$t.txt; done
echo "== irsteps $(date -u +%H:%M:%S)"
VG="--cache-sim=yes --LL=1048576,8,64" bash $R/irsteps.sh /tmp/ovh19/m9 m9_1m --side ours --steps 200 > /tmp/ovh19/m9_1m.out 2>&1 &
VG="--cache-sim=yes --LL=524288,8,64" bash $R/irsteps.sh /tmp/ovh19/m9 m9_512 --side ours --steps 200 > /tmp/ovh19/m9_512.out 2>&1
wait
VG="--cache-sim=yes --LL=1048576,8,64" bash $R/irsteps.sh /tmp/ovh19/m4 m4_1m --side ours --steps 200 > /tmp/ovh19/m4_1m.out 2>&1 &
VG="--cache-sim=yes --LL=1048576,8,64" bash $R/irsteps.sh /tmp/ovh19/base s_1m --side stock --steps 200 > /tmp/ovh19/s_1m.out 2>&1
wait
cat /tmp/ovh19/{m9_1m,m9_512,m4_1m,s_1m}.out
for l in b512 b1m s_1m m9_512 m9_1m m4_1m; do echo "== $l"; /work/main/.venv/bin/python $R/stepsum.py $(ls /tmp/ovh19/cg/$l.*.1 | sed 's/\.1$//'); done
/work/main/.venv/bin/python $R/gate.py
echo "== end $(date -u +%H:%M:%S)"
