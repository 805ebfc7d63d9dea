#!/bin/bash
# issue 16 item 5 on this session's host (Intel Xeon, host key 2d9348e771d5): the benchmark as the
# 22nd pass ran it ("plain"): examples/sched_overhead.py --programs 100000 --nexus '{}',
# 3 rounds at 512/4096 (300 steps) and 3 rounds at 64/256 (400 steps), frozen main.
t=/tmp/ovh/code
echo "== start $(date -u +%H:%M:%S) load $(cut -d' ' -f1-3 /proc/loadavg) cpu $(lscpu | grep 'Model name' | cut -c34-)"
run() { echo "== round $ROUND size $1/$2 load $(cut -d' ' -f1-3 /proc/loadavg) $(date -u +%H:%M:%S)"
  PYTHONPATH=$t timeout 240 /work/main/.venv/bin/python $t/examples/sched_overhead.py --programs 100000 \
    --running $1 --waiting $2 --steps $3 --nexus '{}' 2>&1 | grep -E "^(running|  )"; }
for ROUND in 1 2 3; do run 512 4096 300; done
for ROUND in 1 2 3; do run 64 256 400; done
echo "== end $(date -u +%H:%M:%S)"
