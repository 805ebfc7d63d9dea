#!/bin/bash
# usage: il.sh TAG W SEED N RATE  -- one exclusive command (<= 10 min): the real CPU engine,
#   tiny model, batch-bound (--max-num-seqs 8), trace /tmp/shr/traces/W$SEED.jsonl (first N
#   programs at RATE programs/s), 3 interleaved repetitions of stock / default (no hints) /
#   hinted (the defaults on a server of their own; its replays send
#   vllm_xargs.program_size_hint = calls x exp(0.5 N(0,1)), drawn per program and SEED), a
#   fresh program-id namespace per replay. From the repo root:
#   /work/wt/exclusive timeout 600 bash docs/results/sizehint-real-2026-12-04d/il.sh A coding-agent 31 N R
cd "$(git -C "$(dirname "$0")" rev-parse --show-toplevel)" || exit 1
export VLLM_NEXUS_PORT_RANGE=8300-8399
if [ "$(date -u +%H%M)" -ge "${NOT_AFTER:-1540}" ]; then echo "not started: $(date -u +%H:%M) is past ${NOT_AFTER:-1540} UTC"; exit 0; fi
tag=$1 w=$2 seed=$3 n=$4 rate=$5
echo "=== $tag: $w seed $seed N=$n rate $rate reps 3 stock,default,hinted (sigma 0.5) batch-bound"
# the code under test: a frozen copy of one commit (git archive), not the moving worktree
tree=${TREE:-/tmp/shr/tree}
date -u +"start %H:%M:%S"; cat /proc/loadavg; echo "tree $tree at commit $(cat $tree/COMMIT)"
md5sum /tmp/shr/traces/$w$seed.jsonl
PYTHONPATH=$tree timeout -s INT -k 20 ${IL_LIMIT:-560} /work/main/.venv/bin/python $tree/examples/interleaved_replay.py \
  --trace /tmp/shr/traces/$w$seed.jsonl --programs $n --rate $rate --reps 3 \
  --schedulers stock,default,hinted --extra 'hinted={}' --send-size-hint hinted \
  --size-hint-sigma 0.5 --size-hint-seed $seed \
  --engine-args="--max-num-seqs 8 --max-model-len 4096" --model $PWD/.cache/tiny-model \
  --out /tmp/shr/runs/$w$seed-$n-r$rate
rc=$?; date -u +"end %H:%M:%S rc $rc"; cat /proc/loadavg
mkdir -p "$(dirname "$0")/$w$seed"
cp /tmp/shr/runs/$w$seed-$n-r$rate/{rows.jsonl,rows.json,summary.md} "$(dirname "$0")/$w$seed/" 2>/dev/null
grep -h "hint\|additional_config\|profile" /tmp/shr/runs/$w$seed-$n-r$rate/server-hinted.log | head -5
