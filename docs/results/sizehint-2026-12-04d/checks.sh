#!/bin/bash
# the branch's checks (one shared command, two processes): decision digests, and the
# non-engine suite
T=$(cd "$(dirname "$0")/../../.." && pwd); D=$T/docs/results/sizehint-2026-12-04d
cd $T
( echo "start $(date -u +%FT%TZ) tree $(git rev-parse --short HEAD)"; timeout 600 bash /work/main/docs/results/sched-overhead-2026-12-03d/trace.sh $T; echo "end $(date -u +%FT%TZ) rc $?" ) > $D/digests.txt 2>&1 &
( echo "start $(date -u +%FT%TZ) tree $(git rev-parse --short HEAD)"; PYTHONPATH=$T timeout 840 /work/main/.venv/bin/pytest -q -m 'not engine' tests/ -p no:cacheprovider 2>&1 | tail -15; echo "end $(date -u +%FT%TZ)" ) > $D/suite.txt 2>&1 &
wait
