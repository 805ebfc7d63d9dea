#!/bin/bash
# mypy 2.4.1 on the nine per-step modules of TREE (as the seventeenth pass's probe.sh ran it)
T=${1:-/work/wt/ovh19}
MODS="charging decode_charge levels preemption queues request_queue sizes table tenants"
cd $T && PYTHONPATH=/tmp/ovh19/mp /work/main/.venv/bin/python -m mypy --python-version 3.11 --ignore-missing-imports --follow-imports=silent --no-incremental $(for m in $MODS; do echo vllm_nexus/programs/$m.py; done)
