#!/bin/bash
# One repetition (fresh servers) of stock / default / the wait-bound candidate on one trace.
# usage: /work/wt/exclusive timeout 590 bash run.sh NAME TRACE N RATE REP SETTING K
#   NAME: output dir /tmp/wb/real/NAME; REP: 1, 2, 3 (interleaved_replay.py --reps REP runs the
#   repetitions --out lacks, so each call starts new servers and adds one repetition; the
#   scheduler order rotates with the repetition index); SETTING: --engine-args name; K: the
#   candidate's starvation_wait_factor. Code: the frozen copy /tmp/wb/code.
name=$1 trace=$2 n=$3 rate=$4 rep=$5 setting=$6 k=$7
cd /tmp/wb/code || exit 1
export VLLM_NEXUS_PORT_RANGE=8100-8199
echo "start $name rep $rep $(date -u +%FT%TZ) loadavg $(cat /proc/loadavg) code $(cat COMMIT)"
md5sum "$trace"
PYTHONPATH=$PWD timeout -s INT -k 20 570 /work/main/.venv/bin/python examples/interleaved_replay.py \
  --trace "$trace" --programs "$n" --rate "$rate" --reps "$rep" --schedulers stock,default,w$k \
  --extra "w$k={\"starvation_wait_factor\": $k}" --engine-args="$setting" --out /tmp/wb/real/$name
echo "end $name rep $rep $(date -u +%FT%TZ) rc=$? loadavg $(cat /proc/loadavg)"
