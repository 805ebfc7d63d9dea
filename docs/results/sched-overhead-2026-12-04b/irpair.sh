#!/bin/bash
# usage: [VG="--cache-sim=yes --branch-sim=yes"] ir.sh TREE LABEL [irprobe args...]: callgrind counts of the
# timed calls (irpair.py, collection toggled on around schedule() + update_from_output() only), out in /tmp/ovh16/cg/LABEL.*
T=$1; L=$2; shift 2
cd $T
PYTHONHASHSEED=0 TREE=$T PYTHONPATH=$T valgrind --tool=callgrind --instr-atstart=no --collect-atstart=no $VG \
  --callgrind-out-file=/tmp/ovh16/cg/$L.%p /work/main/.venv/bin/python /work/wt/ovh16/docs/results/sched-overhead-2026-12-04b/irpair.py "$@" 2>&1 | grep -v "^==" | grep -E "^side"
f=$(ls -t /tmp/ovh16/cg/$L.*.1 | head -1)
echo "$L $(grep ^events: $f) | $(grep ^summary: $f) | $*"
