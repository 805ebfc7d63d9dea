#!/bin/bash
# the reference: main's per-step Ir and L2 misses (callgrind cache sim), two LL models in parallel:
# 512 KB 8-way (the earlier passes' Intel L2, comparable with 2026-12-04c/d) and 1 MB 8-way (this AMD host's L2 per core)
R=/work/wt/ovh19/docs/results/sched-overhead-2026-12-04e
echo "== start $(date -u +%H:%M:%S)"
VG="--cache-sim=yes --LL=524288,8,64" bash $R/irsteps.sh /tmp/ovh19/base b512 --side ours --steps 200 > /tmp/ovh19/b512.out 2>&1 &
VG="--cache-sim=yes --LL=1048576,8,64" bash $R/irsteps.sh /tmp/ovh19/base b1m --side ours --steps 200 > /tmp/ovh19/b1m.out 2>&1 &
wait
cat /tmp/ovh19/b512.out /tmp/ovh19/b1m.out
echo "== end $(date -u +%H:%M:%S)"
