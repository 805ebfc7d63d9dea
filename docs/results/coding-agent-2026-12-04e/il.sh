#!/bin/bash
# usage: il.sh TAG SEED REPS SCHEDULERS  -- one exclusive command (<= 10 min): the real CPU
#   engine, tiny model, batch-bound (--max-num-seqs 8 --max-model-len 4096), trace
#   /tmp/ca/traces/coding-agent$SEED.jsonl (first 120 programs at 6 programs/s, think scale
#   0.3), interleaved_replay.py --reps REPS (runs the repetitions below REPS not yet complete
#   in the out dir: REPS=K+1 runs repetition K), a fresh program-id namespace per replay,
#   every server recording its engine steps (--record-steps). Servers:
#     stock   vLLM's scheduler            default  vllm_nexus.Scheduler, no options
#     nopre   the defaults + {"preemption": false}
#     nxfcfs  the defaults + {"policy": "fcfs"} (vLLM's order inside our scheduler: a control)
#   Adapted from ../sizehint-real-2026-12-04d/il.sh. From the repo root:
#   /work/wt/exclusive timeout 600 bash docs/results/coding-agent-2026-12-04e/il.sh E1 31 1 stock,default,nopre,nxfcfs
cd "$(git -C "$(dirname "$0")" rev-parse --show-toplevel)" || exit 1
export VLLM_NEXUS_PORT_RANGE=8300-8399
if [ "$(date -u +%H%M)" -ge "${NOT_AFTER:-1835}" ]; then echo "not started: $(date -u +%H:%M) is past ${NOT_AFTER:-1835} UTC"; exit 0; fi
tag=$1 seed=$2 reps=$3 scheds=$4
# E2 as queued at 18:00 asked for --reps 3 on E1's out dir; E1's stock/default rows are void (both
# servers on one port), so E2 runs repetitions 0-1 on a fresh out dir (changed 18:06, before it started)
[ "$tag" = E2 ] && reps=2
echo "=== $tag: coding-agent seed $seed N=120 rate 6 reps<$reps $scheds batch-bound, steps recorded"
# the code under test: a frozen copy of one commit (git archive), not the moving worktree
tree=${TREE:-/tmp/ca/tree}
date -u +"start %H:%M:%S"; cat /proc/loadavg; echo "tree $tree at commit $(cat $tree/COMMIT)"
md5sum /tmp/ca/traces/coding-agent$seed.jsonl
PYTHONPATH=$tree timeout -s INT -k 20 ${IL_LIMIT:-570} /work/main/.venv/bin/python $tree/examples/interleaved_replay.py \
  --trace /tmp/ca/traces/coding-agent$seed.jsonl --programs 120 --rate 6 --reps $reps \
  --schedulers $scheds --extra 'nopre={"preemption":false}' --extra 'nxfcfs={"policy":"fcfs"}' \
  --record-steps --engine-args="--max-num-seqs 8 --max-model-len 4096" --model $PWD/.cache/tiny-model \
  --out /tmp/ca/runs/coding-agent$seed-120-r6
rc=$?; date -u +"end %H:%M:%S rc $rc"; cat /proc/loadavg
d="$(dirname "$0")/coding-agent$seed"; mkdir -p "$d"
cp /tmp/ca/runs/coding-agent$seed-120-r6/{rows.jsonl,rows.json,summary.md} "$d/" 2>/dev/null
grep -h "vllm_nexus scheduler" /tmp/ca/runs/coding-agent$seed-120-r6/server-*.log | cut -c1-300 | head -5
