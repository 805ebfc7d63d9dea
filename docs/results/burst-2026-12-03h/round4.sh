#!/bin/bash
# Round 4: T4 (rule 1), N4 (rule 2), then held out on seeds 6-7 (rule 3: K1 CPU mixed,
# K2 CPU families, K3 CPU KV-bound, K4 CPU mixed without classes),
# each run once. Defaults of the tuning rows come from T1 / N1 (deterministic simulator).
set -o pipefail
cd /work/wt/burst2; R=docs/results/burst-2026-12-03h; S=$R/sim.sh; P=/work/main/.venv/bin/python
log=/tmp/burst2/round4.log
$S T4 --settings cpu --workloads mixed --seeds 0,1 --schedulers "" --rates '{"mixed":[4,10,20,40]}' --programs '{"mixed":100}' --warmup --classes --variant 'b10=plas:{"scheduler":{"level_order":"class-best"}}' --variant 'b10q1=plas:{"scheduler":{"level_order":"class-best","level_order_min_queue":1}}' --variant 'b30=plas:{"scheduler":{"level_order":"class-best","level_order_window_s":30}}'
cp /tmp/burst2/T4.* $R/
$P $R/decide.py candidate $R/T1.jsonl $R/T4.jsonl b10 b10q1 b30 | tee -a $log
cand=$(tail -1 $log | sed 's/candidate: //')
echo "$(date -u +%H:%M:%S) candidate $cand" >> $log
[ "$cand" = none ] && exit 0
case $cand in
  b10) J='{"scheduler":{"level_order":"class-best"}}' ;;
  b10q1) J='{"scheduler":{"level_order":"class-best","level_order_min_queue":1}}' ;;
  b30) J='{"scheduler":{"level_order":"class-best","level_order_window_s":30}}' ;;
esac
V="$cand=plas:$J"
$S N4 --settings cpu --workloads chat,react,lats,map-reduce,coding-agent,agentic --seeds 0,1 --schedulers "" --warmup --classes --variant "$V"
cp /tmp/burst2/N4.* $R/
$P $R/decide.py guard 0.99 $R/N1.jsonl $R/N4.jsonl $cand | tee -a $log || { echo "$(date -u +%H:%M:%S) rule 2 failed" >> $log; exit 0; }
echo "$(date -u +%H:%M:%S) rule 2 met; held out" >> $log
$S K1 --settings cpu --workloads mixed --seeds 6,7 --schedulers default --rates '{"mixed":[4,10,20,40]}' --programs '{"mixed":100}' --warmup --classes --variant "$V"
cp /tmp/burst2/K1.* $R/; $P $R/decide.py burst $R/K1.jsonl $R/K1.jsonl $cand | tee -a $log
$S K2 --settings cpu --workloads chat,react,lats,map-reduce,coding-agent,agentic --seeds 6,7 --schedulers default --warmup --classes --variant "$V"
cp /tmp/burst2/K2.* $R/; $P $R/decide.py guard 0.99 $R/K2.jsonl $R/K2.jsonl $cand | tee -a $log
$S K3 --settings cpu-kv --workloads mixed,lats,map-reduce --seeds 6,7 --schedulers default --warmup --classes --variant "$V"
cp /tmp/burst2/K3.* $R/; $P $R/decide.py guard 0.99 $R/K3.jsonl $R/K3.jsonl $cand | tee -a $log
$S K4 --settings cpu --workloads mixed --seeds 6,7 --schedulers default --rates '{"mixed":[4,10,20,40]}' --programs '{"mixed":100}' --warmup --variant "$V"
cp /tmp/burst2/K4.* $R/; $P $R/decide.py guard 0.99 $R/K4.jsonl $R/K4.jsonl $cand | tee -a $log
echo "$(date -u +%H:%M:%S) done" >> $log
