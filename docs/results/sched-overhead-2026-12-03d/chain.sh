#!/bin/bash
# shared: the changed tests, decision digests of the branch copy, allocation/collector counts of
# both trees; then, if both digests match main's, the exclusive before/after (excl.sh)
cd /work/wt/overhead10
OUT=docs/results/sched-overhead-2026-12-03d
/work/wt/shared timeout 600 bash -c "
echo == tests \$(cat /tmp/ovh10/branch/COMMIT) \$(date -u +%H:%M:%S) load \$(cut -d' ' -f1-3 /proc/loadavg)
cd /tmp/ovh10/branch && PYTHONPATH=/tmp/ovh10/branch /work/main/.venv/bin/pytest -q -p no:cacheprovider tests/test_request_queue.py tests/test_relevel_index.py tests/test_policy_queues.py tests/test_decode_charge.py tests/test_scheduler.py tests/test_tenants.py tests/test_preemption_cost.py tests/test_lineage.py 2>&1 | tail -1
echo == trace branch \$(date -u +%H:%M:%S)
/tmp/ovh10/trace.sh /tmp/ovh10/branch
echo == end \$(date -u +%H:%M:%S)
" > $OUT/trace-and-tests.txt 2>&1
n=$(grep -c -E "764f433c34762f84|931f46020354c8c3" $OUT/trace-and-tests.txt)
if [ "$n" != 2 ]; then echo "digests differ ($n of 2 match): no exclusive run"; exit 1; fi
BEFORE=/tmp/ovh10/base AFTER=/tmp/ovh10/branch NOT_AFTER=1130 /work/wt/exclusive timeout 420 bash $OUT/excl.sh > $OUT/excl.txt 2>&1
echo done
