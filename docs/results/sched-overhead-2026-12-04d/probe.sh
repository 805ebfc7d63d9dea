# mypyc feasibility probe (seventeenth pass): mypy errors of the per-step modules; mypyc build of tenants.py; Ir of TenantLedger.charge
set -x
date -u
MODS="charging decode_charge levels preemption queues request_queue sizes table tenants"
cd /tmp/ovh18/base
PYTHONPATH=/tmp/ovh18/mp /work/main/.venv/bin/python -m mypy --python-version 3.11 --ignore-missing-imports --follow-imports=silent --no-incremental $(for m in $MODS; do echo vllm_nexus/programs/$m.py; done) > /tmp/ovh18/probe/mypy.txt 2>&1
tail -1 /tmp/ovh18/probe/mypy.txt
for m in $MODS; do echo "$m $(grep -c "programs/$m.py:.*error" /tmp/ovh18/probe/mypy.txt)"; done
date -u
rm -rf /tmp/ovh18/myc && cp -r /tmp/ovh18/base /tmp/ovh18/myc && cd /tmp/ovh18/myc
PYTHONPATH=/tmp/ovh18/mp /work/main/.venv/bin/python -m mypyc vllm_nexus/programs/tenants.py > /tmp/ovh18/probe/mypyc-build.txt 2>&1; echo "mypyc rc $?"; tail -5 /tmp/ovh18/probe/mypyc-build.txt
ls /tmp/ovh18/myc/*.so /tmp/ovh18/myc/vllm_nexus/programs/*.so
date -u
for tree in /tmp/ovh18/base /tmp/ovh18/myc; do
  for n in 0 20000; do
    cd $tree && PYTHONPATH=$tree valgrind --tool=callgrind --instr-atstart=no --collect-atstart=no --callgrind-out-file=/tmp/ovh18/probe/cg.$(basename $tree).$n /work/main/.venv/bin/python /tmp/ovh18/probe/micro.py $n 2>&1 | grep -v "^=="
    echo "$tree n=$n $(grep ^summary: /tmp/ovh18/probe/cg.$(basename $tree).$n)"
  done
done
date -u
