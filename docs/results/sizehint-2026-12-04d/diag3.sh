#!/bin/bash
# diagnosis round 2 (tuning seeds 0-1 only): per-program loss by class and hint error
# (diag2.py), and the capped-demotion variants (variants.py capK, lift) on A100 seeds 0-1,
# coding-agent / agentic / mixed, hinted rows only. Two processes; one shared command.
D=$(cd "$(dirname "$0")" && pwd); T=$(cd "$D/../../.." && pwd)
cd $T
run() {  # EXP TAG
  echo "start $(date -u +%FT%TZ) EXP=$1 a100 seeds 0,1 tree $(git rev-parse --short HEAD)" > $D/$2.txt
  SKIP_PLAIN=1 EXP=$1 PYTHONPATH=$T timeout 880 /work/main/.venv/bin/python $D/variants.py --settings a100 \
    --workloads coding-agent,agentic,mixed --seeds 0,1 \
    --rates '{"coding-agent":[1.6],"agentic":[1.0],"mixed":[1.0]}' \
    --schedulers default --size-hint-sigma 0.5,1 --json $D/$2.jsonl >> $D/$2.txt 2>/dev/null
  echo "end $(date -u +%FT%TZ)" >> $D/$2.txt
}
( PYTHONPATH=$T timeout 300 /work/main/.venv/bin/python $D/diag2.py a100 mixed 1 1 $D/d2-a100-mixed-s1.jsonl > $D/d2-a100-mixed-s1.txt 2>/dev/null
  run cap2 d3-cap2-a100; run lift d3-lift-a100 ) &
( PYTHONPATH=$T timeout 300 /work/main/.venv/bin/python $D/diag2.py a100 agentic 0 1 $D/d2-a100-agentic-s0.jsonl > $D/d2-a100-agentic-s0.txt 2>/dev/null
  run cap1 d3-cap1-a100; run cap3 d3-cap3-a100 ) &
wait
