#!/bin/bash
# Round 3 after T3: rule 1 (candidate), rule 2 (N3, tuning families), then the held-out runs
# of rule 3 (H1 CPU mixed, H2 CPU families, H3 CPU KV-bound, H4 CPU mixed without classes),
# each run once. Defaults of the tuning rows come from T1 / N1 (deterministic simulator).
cd /work/wt/burst2; R=docs/results/burst-2026-12-03h; S=$R/sim.sh; P=/work/main/.venv/bin/python
log=/tmp/burst2/round3.log
while ! grep -q "^end" /tmp/burst2/T3.time; do sleep 5; done
cp /tmp/burst2/T3.* $R/
$P $R/decide.py candidate $R/T1.jsonl $R/T3.jsonl g1 g2 g1w30 | tee -a $log
cand=$(tail -1 $log | sed 's/candidate: //')
echo "$(date -u +%H:%M:%S) candidate $cand" >> $log
[ "$cand" = none ] && exit 0
case $cand in
  g1) J='{"scheduler":{"level_order":"class","level_order_min_queue":1}}' ;;
  g2) J='{"scheduler":{"level_order":"class","level_order_min_queue":2}}' ;;
  g1w30) J='{"scheduler":{"level_order":"class","level_order_window_s":30,"level_order_min_queue":1}}' ;;
esac
V="$cand=plas:$J"
$S N3 --settings cpu --workloads chat,react,lats,map-reduce,coding-agent,agentic --seeds 0,1 --schedulers "" --warmup --classes --variant "$V"
cp /tmp/burst2/N3.* $R/
$P $R/decide.py guard 0.99 $R/N1.jsonl $R/N3.jsonl $cand | tee -a $log || { echo "$(date -u +%H:%M:%S) rule 2 failed" >> $log; exit 0; }
echo "$(date -u +%H:%M:%S) rule 2 met; held out" >> $log
$S H1 --settings cpu --workloads mixed --seeds 4,5 --schedulers default --rates '{"mixed":[4,10,20,40]}' --programs '{"mixed":100}' --warmup --classes --variant "$V"
cp /tmp/burst2/H1.* $R/; $P $R/decide.py burst $R/H1.jsonl $R/H1.jsonl $cand | tee -a $log
$S H2 --settings cpu --workloads chat,react,lats,map-reduce,coding-agent,agentic --seeds 4,5 --schedulers default --warmup --classes --variant "$V"
cp /tmp/burst2/H2.* $R/; $P $R/decide.py guard 0.99 $R/H2.jsonl $R/H2.jsonl $cand | tee -a $log
$S H3 --settings cpu-kv --workloads mixed,lats,map-reduce --seeds 4,5 --schedulers default --warmup --classes --variant "$V"
cp /tmp/burst2/H3.* $R/; $P $R/decide.py guard 0.99 $R/H3.jsonl $R/H3.jsonl $cand | tee -a $log
$S H4 --settings cpu --workloads mixed --seeds 4,5 --schedulers default --rates '{"mixed":[4,10,20,40]}' --programs '{"mixed":100}' --warmup --variant "$V"
cp /tmp/burst2/H4.* $R/; $P $R/decide.py guard 0.99 $R/H4.jsonl $R/H4.jsonl $cand | tee -a $log
echo "$(date -u +%H:%M:%S) done" >> $log
