#!/bin/bash
# per-step Ir and L2 misses (irsteps.sh) of the compiled trees m9 and m4 (1 MB L2 model: this host; 512 KB: the
# earlier passes' model), and stock's on main's tree (1 MB) as the reference; two at a time
R=/work/wt/ovh19/docs/results/sched-overhead-2026-12-04e
echo "== start $(date -u +%H:%M:%S)"
VG="--cache-sim=yes --LL=1048576,8,64" bash $R/irsteps.sh /tmp/ovh19/m9 m9_1m --side ours --steps 200 > /tmp/ovh19/m9_1m.out 2>&1 &
VG="--cache-sim=yes --LL=524288,8,64" bash $R/irsteps.sh /tmp/ovh19/m9 m9_512 --side ours --steps 200 > /tmp/ovh19/m9_512.out 2>&1
wait
VG="--cache-sim=yes --LL=1048576,8,64" bash $R/irsteps.sh /tmp/ovh19/m4 m4_1m --side ours --steps 200 > /tmp/ovh19/m4_1m.out 2>&1 &
VG="--cache-sim=yes --LL=1048576,8,64" bash $R/irsteps.sh /tmp/ovh19/base s_1m --side stock --steps 200 > /tmp/ovh19/s_1m.out 2>&1
wait
cat /tmp/ovh19/{m9_1m,m9_512,m4_1m,s_1m}.out
for l in b512 b1m s_1m m9_512 m9_1m m4_1m; do echo "== $l"; /work/main/.venv/bin/python $R/stepsum.py $(ls /tmp/ovh19/cg/$l.*.1 | sed 's/\.1$//'); done
echo "== end $(date -u +%H:%M:%S)"
