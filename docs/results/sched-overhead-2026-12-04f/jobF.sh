#!/bin/bash
# main's tree, --policy fcfs (stock's decisions), 1 MB model: ABL=notready (every hook of ours falls through to
# vLLM's after the warm-up; the subclass, its state and the 100k-program table stay: fn1m) and ours with
# 1k programs instead of 100k (fp1k)
R=/work/wt/ovh20/docs/results/sched-overhead-2026-12-04f
VG1="--cache-sim=yes --LL=1048576,8,64 --dump-instr=no"
echo "== start $(date -u +%H:%M:%S)"
ABL=notready VG="$VG1" timeout 840 bash $R/irsteps.sh /tmp/ovh20/base fn1m --side ours --steps 200 --policy fcfs > /tmp/ovh20/fn1m.out 2>&1 &
VG="$VG1" timeout 840 bash $R/irsteps.sh /tmp/ovh20/base fp1k --side ours --steps 200 --policy fcfs --programs 1000 > /tmp/ovh20/fp1k.out 2>&1 &
wait
for l in fn1m fp1k; do cat /tmp/ovh20/$l.out; echo "== $l"; /work/main/.venv/bin/python $R/stepsum.py $(ls /tmp/ovh20/cg/$l.*.1 | sed 's/\.1$//'); done
echo "== end $(date -u +%H:%M:%S)"
