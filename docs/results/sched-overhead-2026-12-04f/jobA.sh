#!/bin/bash
# main's tree (/tmp/ovh20/base = git archive of main ca1be39): per-step Ir / cache misses (1 MB 8-way LL)
# of ours (b1m: also the gate's baseline) and stock (s_1m), 64/256, 100k programs, 200 counted steps
R=/work/wt/ovh20/docs/results/sched-overhead-2026-12-04f
echo "== start $(date -u +%H:%M:%S)"
VG="--cache-sim=yes --LL=1048576,8,64 --dump-instr=no" timeout 840 bash $R/irsteps.sh /tmp/ovh20/base b1m --side ours --steps 200 > /tmp/ovh20/b1m.out 2>&1 &
VG="--cache-sim=yes --LL=1048576,8,64 --dump-instr=no" timeout 840 bash $R/irsteps.sh /tmp/ovh20/base s_1m --side stock --steps 200 > /tmp/ovh20/s_1m.out 2>&1
wait
cat /tmp/ovh20/b1m.out /tmp/ovh20/s_1m.out
for l in b1m s_1m; do echo "== $l"; /work/main/.venv/bin/python $R/stepsum.py $(ls /tmp/ovh20/cg/$l.*.1 | sed 's/\.1$//'); done
echo "== end $(date -u +%H:%M:%S)"
