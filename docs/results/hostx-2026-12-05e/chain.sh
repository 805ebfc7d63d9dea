#!/bin/bash
R=/work/main/docs/results/hostx-2026-12-05e/run.sh
for step in "lats 40 3.1 1 kv-bound 180" "lats 40 3.1 2 kv-bound 180" "lats 40 3.1 3 kv-bound 180" \
            "react 300 40 1 kv-bound 200" "react 300 40 2 kv-bound 200" "react 300 40 3 kv-bound 200" \
            "lats 40 2.3 1 batch-bound 200" "lats 40 2.3 2 batch-bound 200" "lats 40 2.3 3 batch-bound 200"; do
  echo "queue $step $(date -u +%T)"
  /work/wt/exclusive bash -c "bash $R $step"
  echo "done $step rc=$? $(date -u +%T)"
  ss -ltnp | grep -E ':81[0-9][0-9]' && echo "WARNING: a server outlived its command"
done
echo "chain done $(date -u +%T)"
