#!/bin/bash
# usage: ir.sh TREE LABEL [irprobe args...]  (sched-overhead-2026-12-04's ir.sh with this checkout's irprobe path)
T=$1; L=$2; shift 2
cd $T
PYTHONHASHSEED=${HS:-0} TREE=$T PYTHONPATH=$T valgrind --tool=callgrind --instr-atstart=no --collect-atstart=no \
  --callgrind-out-file=/tmp/ovh15/cg/$L.%p /work/main/.venv/bin/python /work/main/docs/results/sched-overhead-2026-12-04/irprobe.py "$@" 2>&1 | grep -v "^==" | grep -E "^side"
f=$(ls -t /tmp/ovh15/cg/$L.*.1 2>/dev/null | head -1); [ -z "$f" ] && f=$(ls -t /tmp/ovh15/cg/$L.* | head -1)
echo "$L $(grep ^summary: $f) $*"
