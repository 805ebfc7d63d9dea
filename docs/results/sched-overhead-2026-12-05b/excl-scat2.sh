#!/bin/bash
# excl-scat2.sh (twenty-second pass, window 2): as excl-scat.sh, more rounds at 512/4096 (4), 2 at
# 64/256, then vLLM's own priority policy against stock FCFS (--control --control-policy priority:
# no vllm_nexus code), plain and scattered, 2 rounds at 512/4096.
[ "$(date -u +%H%M)" -ge 0600 ] && [ "$(date -u +%H%M)" -lt 2000 ] && { echo "lock came at/after 06:00 UTC: not run"; exit 3; }
echo "== start $(date -u +%H:%M:%S) load $(cut -d' ' -f1-3 /proc/loadavg)"
run() {  # variant r w steps N [extra]
  local v=$1 r=$2 w=$3 s=$4 n=$5; shift 5; local t=/tmp/ovh23/base f=()
  [ $v = scat ] && { t=/tmp/ovh23/scat; f=(--scatter-alloc $n); }
  echo "== round $ROUND variant $v size $r/$w load $(cut -d' ' -f1-3 /proc/loadavg) $(date -u +%H:%M:%S) $*"
  PYTHONPATH=$t timeout 240 /work/main/.venv/bin/python $t/examples/sched_overhead.py --programs 100000 \
    --running $r --waiting $w --steps $s --nexus '{}' "${f[@]}" "$@" 2>&1 | grep -E "^(running|  )"
}
pair() { if [ $((ROUND % 2)) = 1 ]; then run plain "$@"; run scat "$@"; else run scat "$@"; run plain "$@"; fi; }
for ROUND in 1 2 3 4; do pair 512 4096 300 2048; done
for ROUND in 1 2; do pair 64 256 400 512; done
for ROUND in 1 2; do pair 512 4096 300 2048 --control --control-policy priority; done
echo "== end $(date -u +%H:%M:%S)"
