#!/bin/bash
# usage: /work/wt/shared timeout 300 bash gen.sh > gen.txt 2>&1
#   kvchat-2026-12-05d: the two `chat` traces (seed 11, the tuning seed, regenerated as
#   kvbound-2026-12-03g did; fresh seed 9226), their md5, the rate rule (kvfresh's trace_stats.py,
#   unchanged) for each candidate seed-11 rate, and fresh_rates.txt ("SEED11_RATE FRESH_RATE N";
#   N = round(300 x min(1, applied factor))). Also a smoke check that interleaved_replay.py's report
#   accepts a single scheduler (--report on a copy of kvfresh2's chat rows, --schedulers stock).
here=$(cd "$(dirname "$0")" && pwd)
cd /tmp/kvchat/code || exit 1
py=/work/main/.venv/bin/python
echo "gen start $(date -u +%FT%TZ) code main $(cat MAIN_COMMIT)"
for ws in chat-s11:11 chat9226:9226; do
  w=${ws%%:*} s=${ws##*:}
  PYTHONPATH=$PWD $py -c "from vllm_nexus.cli import main; main()" bench --workload chat \
    --programs 300 --seed "$s" --calls-scale 0.25 --tokens-scale 0.25 --rate 1 --dump-trace /tmp/kvchat/traces/$w.jsonl
done
md5sum /tmp/kvchat/traces/*.jsonl
: > "$here/fresh_rates.txt"
for r in 30 40 60; do
  o=$($py "$here/trace_stats.py" /tmp/kvchat/traces/chat9226.jsonl 300 /tmp/kvchat/traces/chat-s11.jsonl $r)
  echo "$o"
  g=$(echo "$o" | sed -n 's/.*-> applied \([0-9.]*\) -> rate.*/\1/p')
  fr=$(echo "$o" | sed -n 's/.*-> rate \([0-9.]*\)\/s.*/\1/p')
  n=$($py -c "import sys; print(round(300 * min(1.0, float(sys.argv[1]))))" "$g")
  echo "$r $fr $n" >> "$here/fresh_rates.txt"
done
$py "$here/trace_stats.py" /tmp/kvchat/traces/chat-s11.jsonl 300
echo "fresh_rates.txt (seed-11 rate, fresh rate, N):"; cat "$here/fresh_rates.txt"
rm -rf /tmp/kvchat/smoke && mkdir -p /tmp/kvchat/smoke && cp "$here/../kvfresh2-2026-12-05d/chat-kv-300-r20/rows.jsonl" /tmp/kvchat/smoke/
PYTHONPATH=$PWD $py examples/interleaved_replay.py --report --schedulers stock --out /tmp/kvchat/smoke > /tmp/kvchat/smoke/out.txt 2>&1
echo "single-scheduler --report rc=$? ($(grep -c '| stock |' /tmp/kvchat/smoke/out.txt) stock table rows)"
$py "$here/verdict.py" /tmp/kvchat/smoke
echo "gen end $(date -u +%FT%TZ)"
