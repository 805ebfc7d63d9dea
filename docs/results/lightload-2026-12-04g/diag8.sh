#!/bin/bash
# usage: diag8.sh OUT -- one exclusive command (diagnostic): the react seed-43 trace at 8 programs/s,
# 2 repetitions, four servers alive at once: stock, the default (metrics snapshots in a /tmp
# directory: ext4 here, as on main), fcfs (the default's bookkeeping with stock's order) and shm
# (the default with its snapshot directory on /dev/shm, tmpfs); every server records its steps;
# procsplit_replay.py snapshots every thread, /proc/stat, diskstats, interrupts and the GC hook's
# counters around each replay. From the repo root:
#   /work/wt/exclusive timeout 900 bash docs/results/lightload-2026-12-04g/diag8.sh /tmp/light3/diag8
cd "$(git -C "$(dirname "$0")" rev-parse --show-toplevel)" || exit 1
R=docs/results/lightload-2026-12-04g
export VLLM_NEXUS_PORT_RANGE=8300-8399 NEXUS_GCSTATS=1
OUT=${1:?OUT}
TMPDIR_METRICS=$(mktemp -d /tmp/light3-metrics-XXXX); SHMDIR=$(mktemp -d /dev/shm/light3-metrics-XXXX)
date -u +"start %H:%M:%S"; cat /proc/loadavg; git log --oneline -1; md5sum /tmp/tal/traces/react43.jsonl
echo "metrics dirs: default $TMPDIR_METRICS ($(stat -f -c %T $TMPDIR_METRICS)), shm $SHMDIR ($(stat -f -c %T $SHMDIR))"
PYTHONPATH=$PWD:$PWD/$R/gchook timeout -s INT -k 30 840 /work/main/.venv/bin/python $R/procsplit_replay.py \
  --diag-env default=VLLM_NEXUS_METRICS_DIR=$TMPDIR_METRICS --diag-env fcfs=VLLM_NEXUS_METRICS_DIR=$TMPDIR_METRICS/fcfs \
  --diag-env shm=VLLM_NEXUS_METRICS_DIR=$SHMDIR \
  --trace /tmp/tal/traces/react43.jsonl --programs 300 --rate 8 --reps 2 --schedulers stock,default,fcfs,shm \
  --extra fcfs='{"policy":"fcfs"}' --extra shm='{}' \
  --record-steps --engine-args="--max-num-seqs 8 --max-model-len 4096" --out "$OUT"
rc=$?; date -u +"end %H:%M:%S rc $rc"; cat /proc/loadavg
ls -la $TMPDIR_METRICS $SHMDIR; rm -rf $SHMDIR /dev/shm/nexus-gc-*
