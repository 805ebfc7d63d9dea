#!/bin/bash
# main's tree: the zone runs (zones.py: per-Python-function attribution), ours (zo_1m) and stock (zs_1m),
# same stream and LL model as jobA, then zsum.py per step kind
R=/work/wt/ovh20/docs/results/sched-overhead-2026-12-04f
echo "== start $(date -u +%H:%M:%S)"
VG="--cache-sim=yes --LL=1048576,8,64 --dump-instr=no --compress-pos=no" ZONES=/tmp/ovh20/zo.json timeout 840 bash $R/irsteps.sh /tmp/ovh20/base zo_1m --side ours --steps 200 > /tmp/ovh20/zo_1m.out 2>&1 &
VG="--cache-sim=yes --LL=1048576,8,64 --dump-instr=no --compress-pos=no" ZONES=/tmp/ovh20/zs.json timeout 840 bash $R/irsteps.sh /tmp/ovh20/base zs_1m --side stock --steps 200 > /tmp/ovh20/zs_1m.out 2>&1
wait
cat /tmp/ovh20/zo_1m.out /tmp/ovh20/zs_1m.out
echo "== end $(date -u +%H:%M:%S)"
