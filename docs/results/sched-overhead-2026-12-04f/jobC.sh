#!/bin/bash
# C-level self costs per step kind of the plain runs (ours b1m, stock s_1m; zsum.py with no zones), and a check
# of why the zone functions got no symbol in callgrind (a 10-call test under callgrind)
R=/work/wt/ovh20/docs/results/sched-overhead-2026-12-04f
echo "== start $(date -u +%H:%M:%S)"
/work/main/.venv/bin/python $R/zsum.py $(ls /tmp/ovh20/cg/b1m.*.1 | sed 's/\.1$//') /tmp/ovh20/empty.json 0 > /tmp/ovh20/b1m-c.txt 2>&1 &
/work/main/.venv/bin/python $R/zsum.py $(ls /tmp/ovh20/cg/s_1m.*.1 | sed 's/\.1$//') /tmp/ovh20/empty.json 0 > /tmp/ovh20/s_1m-c.txt 2>&1
wait
cd /tmp/ovh20 && timeout 120 valgrind --tool=callgrind --callgrind-out-file=/tmp/ovh20/ztest.out /work/main/.venv/bin/python /tmp/ovh20/ztest.py 2>&1 | tail -3
grep -c zone_ /tmp/ovh20/ztest.out; grep "zone_\|libzones" /tmp/ovh20/ztest.out | head
echo "== end $(date -u +%H:%M:%S)"
