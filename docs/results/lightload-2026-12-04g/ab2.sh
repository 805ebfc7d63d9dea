#!/bin/bash
# usage: ab2.sh OUT [DEFAULT_METRICS_PARENT] -- one exclusive command: the react seed-43 trace at 8
# programs/s, 3 repetitions, two servers alive at once (the condition of the 2026-12-04 (f) TaL
# run): stock and the default of this tree (its metrics snapshots in a new /dev/shm directory,
# or, with DEFAULT_METRICS_PARENT, in a new directory under it: /tmp = main's behaviour here).
# No step recording; procsplit_replay.py splits the CPU per process/thread around each replay.
#   /work/wt/exclusive timeout 600 bash docs/results/lightload-2026-12-04g/ab2.sh /tmp/light3/ab2
cd "$(git -C "$(dirname "$0")" rev-parse --show-toplevel)" || exit 1
R=docs/results/lightload-2026-12-04g
export VLLM_NEXUS_PORT_RANGE=8300-8399
OUT=${1:?OUT}
DIAG=()
if [ -n "$2" ]; then D=$(mktemp -d "$2/light3-metrics-XXXX"); DIAG=(--diag-env "default=VLLM_NEXUS_METRICS_DIR=$D"); fi
date -u +"start %H:%M:%S"; cat /proc/loadavg; git log --oneline -1; md5sum /tmp/tal/traces/react43.jsonl
echo "metrics dir of the default: ${D:-the plugin default, /dev/shm}"
PYTHONPATH=$PWD timeout -s INT -k 30 540 /work/main/.venv/bin/python $R/procsplit_replay.py "${DIAG[@]}" \
  --trace /tmp/tal/traces/react43.jsonl --programs 300 --rate 8 --reps 3 --schedulers stock,default \
  --engine-args="--max-num-seqs 8 --max-model-len 4096" --out "$OUT"
rc=$?; date -u +"end %H:%M:%S rc $rc"; cat /proc/loadavg
