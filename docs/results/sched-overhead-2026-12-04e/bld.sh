#!/bin/bash
# bld.sh SRC DEST MODS [OVER]: copy tree SRC to DEST (OVER: a tree whose queues, sizes, preemption, request_queue,
# table, charging and _compiled (python_class only: the base __init__ does not call its install()) .py replace SRC's)
# and compile vllm_nexus/programs/{MODS}.py there with mypyc
# (mypy 2.4.1 from /tmp/ovh19/mp, `python -m mypyc --follow-imports=skip`, its default -O3: modules
# outside MODS, vLLM included, are typed Any); prints which files the nine per-step modules import from
SRC=$1; DEST=$2; MODS=$3; OVER=$4
echo "== build $DEST ($MODS) from $SRC ${OVER:+with the programs/*.py of $OVER} $(date -u +%H:%M:%S)"
rm -rf $DEST && cp -r $SRC $DEST && cd $DEST && rm -rf build
[ -n "$OVER" ] && for m in queues sizes preemption request_queue table charging _compiled; do cp $OVER/vllm_nexus/programs/$m.py $DEST/vllm_nexus/programs/; done
FILES=$(for m in ${MODS//,/ }; do echo vllm_nexus/programs/$m.py; done)
PYTHONPATH=/tmp/ovh19/mp timeout 900 /work/main/.venv/bin/python -m mypyc --follow-imports=skip $FILES > $DEST.build.txt 2>&1; rc=$?
echo "mypyc rc $rc $(date -u +%H:%M:%S)"; grep -v "^gcc\|^creating\|^copying\|^building\|^running" $DEST.build.txt | tail -20
ls $DEST/*.so $DEST/vllm_nexus/programs/*.so 2>/dev/null
PYTHONPATH=$DEST /work/main/.venv/bin/python -c 'import importlib as i; print(*[i.import_module("vllm_nexus.programs." + m).__file__.rsplit("/", 1)[1] for m in ("charging", "decode_charge", "levels", "preemption", "queues", "request_queue", "sizes", "table", "tenants")])'
