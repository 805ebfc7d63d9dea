#!/bin/bash
# usage: [VG="--cache-sim=yes --LL=524288,8,64"] irsteps.sh TREE LABEL [irsteps.py args...]: callgrind counts of the
# timed calls (irsteps.py, collection toggled on around schedule() + update_from_output() only), out in /tmp/ovh20/cg/LABEL.*
# (2026-12-04c copy of the fifteenth pass's script, paths moved to /tmp/ovh20 and this results dir)
T=$1; L=$2; shift 2
cd $T
PYTHONHASHSEED=0 TREE=$T PYTHONPATH=$T valgrind --tool=callgrind --instr-atstart=no --collect-atstart=no $VG \
  --callgrind-out-file=/tmp/ovh20/cg/$L.%p /work/main/.venv/bin/python /work/wt/ovh20/docs/results/sched-overhead-2026-12-04f/irsteps.py "$@" 2>&1 | grep -v "^==" | grep -E "^side"
f=$(ls -t /tmp/ovh20/cg/$L.*.1 | head -1)
echo "$L $(grep ^events: $f) | $(grep ^summary: $f) | $*"
