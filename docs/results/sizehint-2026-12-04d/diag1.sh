#!/bin/bash
# diagnosis round 1 (tuning seeds 0-1, A100): 3 alternative levelling rules (the shipped one:
# the 2026-12-04c tune-*.jsonl rows), two processes at a time; then the touched tests.
D=$(cd "$(dirname "$0")" && pwd); T=$(cd "$D/../../.." && pwd)
( bash $D/run_var.sh sib a100 0,1 mixed,agentic d1-sib-a100 > $D/d1-sib-a100.txt; \
  bash $D/run_var.sh lift a100 0,1 mixed,agentic d1-lift-a100 > $D/d1-lift-a100.txt ) &
( bash $D/run_var.sh seqonly a100 0,1 mixed,agentic d1-seqonly-a100 > $D/d1-seqonly-a100.txt; \
  cd $T && echo "tests start $(date -u +%FT%TZ)" > $D/d1-tests.txt && \
  PYTHONPATH=$T timeout 600 /work/main/.venv/bin/pytest -q -p no:cacheprovider \
    tests/test_interleaved_replay.py tests/test_bench_runner.py tests/test_cluster_unit.py >> $D/d1-tests.txt 2>&1; \
  echo "tests end $(date -u +%FT%TZ) rc $?" >> $D/d1-tests.txt; \
  bash $T/docs/results/sizehint-real-2026-12-04d/traces.sh > $T/docs/results/sizehint-real-2026-12-04d/traces.txt 2>&1 ) &
wait
