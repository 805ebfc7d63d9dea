#!/bin/bash
# the exclusive before/after run, only if the shared trace (queued before it) gave both digests on both trees
cd /work/wt/overhead9
OUT=docs/results/sched-overhead-2026-12-03c
n=$(grep -c -E "764f433c34762f84|931f46020354c8c3" $OUT/trace-and-tests.txt)
if [ "$n" != 4 ]; then echo "digests: $n of 4 match: not run"; exit 1; fi
BEFORE=/tmp/ovh9/base AFTER=/tmp/ovh9/branch NOT_AFTER=0845 bash $OUT/excl.sh > $OUT/excl.txt 2>&1
