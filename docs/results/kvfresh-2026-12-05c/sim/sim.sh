#!/bin/bash
# simulator check: react KV-bound, stock vs default vs default+starvation_beta 8, on the fresh trace (diagnosis) and seed 11
cd /tmp/kvfresh/code
S="env PYTHONPATH=/tmp/kvfresh/code /work/main/.venv/bin/python -c 'import sys; from vllm_nexus.cli import main; sys.exit(main())' simulate"
one() { # trace tag
  eval $S --trace $1 --programs 300 --rate 40 --think-scale 0.3 --seed 0 --hardware cpu-here --model tiny --setting kv-bound --scheduler stock-fcfs,vllm_nexus --out /tmp/kvfresh/sim/ts03-$2-def --no-progress --no-plots > /tmp/kvfresh/sim/ts03-$2-def.txt 2>&1
  eval $S --trace $1 --programs 300 --rate 40 --think-scale 0.3 --seed 0 --hardware cpu-here --model tiny --setting kv-bound --scheduler vllm_nexus --label beta8 --additional-config "'{\"vllm_nexus\": {\"scheduler\": {\"starvation_beta\": 8}}}'" --out /tmp/kvfresh/sim/ts03-$2-b8 --no-progress --no-plots > /tmp/kvfresh/sim/ts03-$2-b8.txt 2>&1
}
date -u +"start %T"
one /tmp/kvfresh/traces/react.jsonl r9973 &
one /tmp/kvfresh/traces/react-s11.jsonl r11 &
wait
date -u +"end %T"
