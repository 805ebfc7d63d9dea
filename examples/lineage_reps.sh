#!/bin/bash
# One repetition K of the issue-18 retention measurement (docs/benchmarks.md, "Program
# inference without ids: three repetitions"): the `mixed` trace against stock, plas (ids sent)
# and plas-noids (ids stripped), one after another in the given order, each over the rates
# that bracket its SLO crossing. Run each repetition as one command under the engine lock:
#   examples/lineage_reps.sh 0 stock plas plas-noids
#   examples/lineage_reps.sh 1 plas plas-noids stock
#   examples/lineage_reps.sh 2 plas-noids stock plas
# then: python examples/lineage_eval.py retention results/sweep-retention
# Environment: OUT (sweep directory), MODEL (model directory; default: the tiny model),
# STOCK_RATES (default 4,8,16), RATES (plas and plas-noids; default 4,16,32,48), PYTHON.
# `--reps K+1` on the same directory runs only repetition K: the earlier ones exist.
set -euo pipefail
cd "$(dirname "$0")/.."
K=$1
shift
OUT=${OUT:-results/sweep-retention}
PYTHON=${PYTHON:-python}
mkdir -p "$(dirname "$OUT")"
echo "rep $K start $(date -u +%H:%M:%S) load $(cut -d' ' -f1-3 /proc/loadavg)"
for s in "$@"; do
  if [ "$s" = stock ]; then R=${STOCK_RATES:-4,8,16}; else R=${RATES:-4,16,32,48}; fi
  PYTHONPATH=$PWD "$PYTHON" examples/bench_sweep.py ${MODEL:+--model "$MODEL"} \
    --workloads mixed --rates "$R" --reps $((K + 1)) --programs 100 --schedulers "$s" \
    --docs '' --out "$OUT" >"$OUT-rep$K-$s.log" 2>&1
  echo "  $s done $(date -u +%H:%M:%S) load $(cut -d' ' -f1-3 /proc/loadavg)"
done
