#!/bin/bash
# usage: steps8b.sh OUT -- one exclusive command: lightload-2026-12-04f/steps8.sh's condition again
# (react seed 43 at 8 programs/s, 2 repetitions, stock vs the default, two servers, every server
# recording its steps), the default's metrics snapshots in a /tmp directory as on main, plus the
# per-thread split (procsplit_replay.py). From the repo root:
#   /work/wt/exclusive timeout 420 bash docs/results/lightload-2026-12-04g/steps8b.sh /tmp/light3/steps8b
cd "$(git -C "$(dirname "$0")" rev-parse --show-toplevel)" || exit 1
R=docs/results/lightload-2026-12-04g
export VLLM_NEXUS_PORT_RANGE=8300-8399
OUT=${1:?OUT}
D=$(mktemp -d /tmp/light3-metrics-XXXX)
date -u +"start %H:%M:%S"; cat /proc/loadavg; git log --oneline -1; md5sum /tmp/tal/traces/react43.jsonl
PYTHONPATH=$PWD timeout -s INT -k 30 380 /work/main/.venv/bin/python $R/procsplit_replay.py \
  --diag-env "default=VLLM_NEXUS_METRICS_DIR=$D" \
  --trace /tmp/tal/traces/react43.jsonl --programs 300 --rate 8 --reps 2 --schedulers stock,default \
  --record-steps --engine-args="--max-num-seqs 8 --max-model-len 4096" --out "$OUT"
rc=$?; date -u +"end %H:%M:%S rc $rc"; cat /proc/loadavg
