#!/bin/bash
# 2026-12-04, exclusive command 2 of 2 (diagnostic): where the 64/256 ratio comes from, in one
# window. This branch ($AFTER), issue 16's benchmark at 64/256, four configurations in rotating
# order: plas (default), plas with proactive preemption off (other decisions), fcfs (the
# bookkeeping floor: stock's decisions), and --control (stock vs stock: the method's floor).
#   AFTER=/tmp/ovh15/new /work/wt/exclusive timeout 600 bash docs/results/sched-overhead-2026-12-04/excl2.sh
AFTER=${AFTER:?a copy of this branch}
R=${R:-4}
NOT_AFTER=${NOT_AFTER:-0235}
[ "$(date -u +%H%M)" -gt "$NOT_AFTER" ] && { echo "lock came after $NOT_AFTER UTC: not run"; exit 3; }
echo "== start $(date -u +%H:%M:%S) after=$(cat $AFTER/COMMIT 2>/dev/null)"
ORDERS=("plas nopre fcfs control" "control fcfs nopre plas" "nopre plas control fcfs" "fcfs control plas nopre")
run() {
  local extra=(--nexus '{}')
  case $1 in
    nopre) extra=(--nexus '{"scheduler": {"preemption": false}}');;
    fcfs) extra=(--nexus '{}' --policy fcfs);;
    control) extra=(--control);;
  esac
  echo "== round $ROUND tree $1 size 64/256 load $(cut -d' ' -f1-3 /proc/loadavg) $(date -u +%H:%M:%S)"
  PYTHONPATH=$AFTER timeout 240 /work/main/.venv/bin/python $AFTER/examples/sched_overhead.py --programs 100000 \
    --running 64 --waiting 256 --steps 400 "${extra[@]}" 2>&1 | grep -E "^(running|  )"
}
for ROUND in $(seq 1 $R); do
  for t in ${ORDERS[$(( (ROUND - 1) % 4 ))]}; do run $t; done
done
echo "== end $(date -u +%H:%M:%S)"
