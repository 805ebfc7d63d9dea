#!/bin/bash
# usage: dump.sh TAG args...  -> /tmp/p4/TAG.json, TAG.log
tag=$1; shift
cd /work/wt/policy4
PYTHONPATH=$PWD /work/wt/shared timeout 900 /work/main/.venv/bin/python docs/results/policy-2026-12-03b/dump.py /tmp/p4/$tag.json "$@" > /tmp/p4/$tag.log 2>&1
echo "rc $?" >> /tmp/p4/$tag.log
