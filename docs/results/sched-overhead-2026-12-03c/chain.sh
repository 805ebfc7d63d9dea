#!/bin/bash
# shared: digests + tests of the branch copy; then, if both digests match, the exclusive before/after
cd /work/wt/overhead9
OUT=docs/results/sched-overhead-2026-12-03c
/work/wt/shared timeout 900 bash -c "
echo == trace before \$(cat /tmp/ovh9/base/COMMIT) \$(date -u +%H:%M:%S) load \$(cut -d' ' -f1-3 /proc/loadavg)
/tmp/ovh9/trace.sh /tmp/ovh9/base
echo == trace after \$(cat /tmp/ovh9/branch/COMMIT) \$(date -u +%H:%M:%S)
/tmp/ovh9/trace.sh /tmp/ovh9/branch
echo == tests \$(date -u +%H:%M:%S)
cd /tmp/ovh9/branch && PYTHONPATH=/tmp/ovh9/branch /work/main/.venv/bin/pytest -q -p no:cacheprovider tests/test_request_queue.py tests/test_decode_charge.py tests/test_lineage.py tests/test_scheduler.py tests/test_policy_queues.py tests/test_tenants.py tests/test_preemption_cost.py 2>&1 | tail -2
echo == end \$(date -u +%H:%M:%S)
" > $OUT/trace-and-tests.txt 2>&1
n=$(grep -c -E "764f433c34762f84|931f46020354c8c3" $OUT/trace-and-tests.txt)
if [ "$n" != 4 ]; then echo "digests differ ($n of 4 match): no exclusive run"; exit 1; fi
BEFORE=/tmp/ovh9/base AFTER=/tmp/ovh9/branch NOT_AFTER=0845 /work/wt/exclusive timeout 300 bash $OUT/excl.sh > $OUT/excl.txt 2>&1
echo done
