#!/bin/bash
# usage: ab8.sh OUT -- one exclusive command: the react seed-43 trace at 8 programs/s, 3 repetitions,
# three servers alive at once: stock, the default (this tree: its metrics snapshots in a new
# /dev/shm directory) and dtmp (the same default with VLLM_NEXUS_METRICS_DIR in /tmp, ext4 here:
# main's behaviour). No step recording (the servers run what a user runs); procsplit_replay.py
# snapshots every thread, /proc/stat and diskstats around each replay. From the repo root:
#   /work/wt/exclusive timeout 900 bash docs/results/lightload-2026-12-04g/ab8.sh /tmp/light3/ab8
cd "$(git -C "$(dirname "$0")" rev-parse --show-toplevel)" || exit 1
R=docs/results/lightload-2026-12-04g
export VLLM_NEXUS_PORT_RANGE=8300-8399
OUT=${1:?OUT}
TMPDIR_METRICS=$(mktemp -d /tmp/light3-metrics-XXXX)
date -u +"start %H:%M:%S"; cat /proc/loadavg; git log --oneline -1; md5sum /tmp/tal/traces/react43.jsonl
ls -d /dev/shm/vllm_nexus_metrics_* 2>/dev/null | sed 's/^/before: /'
(sleep 200; echo "at $(date -u +%H:%M:%S): /dev/shm snapshot dirs:"; ls -la /dev/shm/vllm_nexus_metrics_*/ 2>&1;
 echo "dtmp's ($(stat -f -c %T $TMPDIR_METRICS)):"; ls -la $TMPDIR_METRICS) &
PYTHONPATH=$PWD timeout -s INT -k 30 840 /work/main/.venv/bin/python $R/procsplit_replay.py \
  --diag-env dtmp=VLLM_NEXUS_METRICS_DIR=$TMPDIR_METRICS \
  --trace /tmp/tal/traces/react43.jsonl --programs 300 --rate 8 --reps 3 --schedulers stock,default,dtmp \
  --extra dtmp='{}' --engine-args="--max-num-seqs 8 --max-model-len 4096" --out "$OUT"
rc=$?; date -u +"end %H:%M:%S rc $rc"; cat /proc/loadavg
wait; ls -d /dev/shm/vllm_nexus_metrics_* 2>/dev/null | sed 's/^/after (should be none new): /'
