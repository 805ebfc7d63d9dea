#!/bin/bash
# main's tree, ours (plas), 1 MB model: callgrind collection only inside parts of ours' code (irsteps.py --split:
# all of ours' own code; --only: the named methods, inclusive of ours' callees, vLLM's methods they call excluded)
R=/work/wt/ovh20/docs/results/sched-overhead-2026-12-04f
VG1="--cache-sim=yes --LL=1048576,8,64 --dump-instr=no"
echo "== start $(date -u +%H:%M:%S)"
VG="$VG1" timeout 840 bash $R/irsteps.sh /tmp/ovh20/base a_own --side ours --steps 200 --split > /tmp/ovh20/a_own.out 2>&1 &
VG="$VG1" timeout 840 bash $R/irsteps.sh /tmp/ovh20/base p_prep --side ours --steps 200 --only=_prepare_step > /tmp/ovh20/p_prep.out 2>&1 &
wait
for l in a_own p_prep ; do cat /tmp/ovh20/$l.out; echo "== $l"; /work/main/.venv/bin/python $R/stepsum.py $(ls /tmp/ovh20/cg/$l.*.1 | sed 's/\.1$//'); done
echo "== end $(date -u +%H:%M:%S)"
