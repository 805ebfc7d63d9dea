#!/bin/bash
# candidate k1 (/tmp/ovh20/k1): decision digests and per-step counts (k1_1m), gate; then main's tree under
# --policy fcfs (f1m: stock's decisions, ours' bookkeeping) and fcfs with ABL=quietskip (fq1m: a decode-only
# step records and charges nothing: the bound of any quiet-step record/charge redesign), same 1 MB model
R=/work/wt/ovh20/docs/results/sched-overhead-2026-12-04f
VG1="--cache-sim=yes --LL=1048576,8,64 --dump-instr=no"
echo "== start $(date -u +%H:%M:%S)"
(timeout 400 bash /work/main/docs/results/sched-overhead-2026-12-03d/trace.sh /tmp/ovh20/k1 > /tmp/ovh20/dig-k1.txt 2>&1) &
VG="$VG1" timeout 600 bash $R/irsteps.sh /tmp/ovh20/k1 k1_1m --side ours --steps 200 > /tmp/ovh20/k1_1m.out 2>&1
wait
echo "== digests k1: $(awk '{print $3}' /tmp/ovh20/dig-k1.txt | tr '\n' ' ')"; cat /tmp/ovh20/k1_1m.out
/work/main/.venv/bin/python $R/stepsum.py $(ls /tmp/ovh20/cg/k1_1m.*.1 | sed 's/\.1$//')
/work/main/.venv/bin/python $R/gate.py k1
echo "== fcfs $(date -u +%H:%M:%S)"
VG="$VG1" timeout 600 bash $R/irsteps.sh /tmp/ovh20/base f1m --side ours --steps 200 --policy fcfs > /tmp/ovh20/f1m.out 2>&1 &
ABL=quietskip VG="$VG1" timeout 600 bash $R/irsteps.sh /tmp/ovh20/base fq1m --side ours --steps 200 --policy fcfs > /tmp/ovh20/fq1m.out 2>&1
wait
cat /tmp/ovh20/f1m.out /tmp/ovh20/fq1m.out
for l in f1m fq1m; do echo "== $l"; /work/main/.venv/bin/python $R/stepsum.py $(ls /tmp/ovh20/cg/$l.*.1 | sed 's/\.1$//'); done
echo "== end $(date -u +%H:%M:%S)"
