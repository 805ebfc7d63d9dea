#!/bin/bash
# builds: m4 = main + the four type-clean modules compiled; m9 = main + this branch's type fixes, all nine compiled;
# then mypy on the fixed sources and the decision digests (trace.sh) of both trees
R=/work/wt/ovh19/docs/results/sched-overhead-2026-12-04e
echo "== start $(date -u +%H:%M:%S)"
bash $R/mypy.sh /work/wt/ovh19 2>&1 | tail -3
bash $R/bld.sh /tmp/ovh19/base /tmp/ovh19/m4 tenants,levels,decode_charge,charging /work/wt/ovh19 &
bash $R/bld.sh /tmp/ovh19/base /tmp/ovh19/m9 tenants,levels,decode_charge,charging,preemption,queues,request_queue,sizes,table /work/wt/ovh19 > /tmp/ovh19/bld-m9.txt 2>&1
wait; cat /tmp/ovh19/bld-m9.txt
for t in m4 m9; do echo "== digests $t $(date -u +%H:%M:%S)"; timeout 400 bash /work/main/docs/results/sched-overhead-2026-12-03d/trace.sh /tmp/ovh19/$t 2>&1 | tail -3; done
echo "== end $(date -u +%H:%M:%S)"
