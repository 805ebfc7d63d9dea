cd /tmp/hostx/code && export PYTHONPATH=$PWD; VN="/work/main/.venv/bin/python -m vllm_nexus.cli"
for w in lats:3847 react:5381; do $VN bench --workload ${w%%:*} --programs 300 --seed ${w##*:} --calls-scale 0.25 --tokens-scale 0.25 --rate 1 --dump-trace /tmp/hostx/traces/${w%%:*}.jsonl > /dev/null 2>&1; done
for w in lats react; do $VN bench --workload $w --programs 300 --seed 11 --calls-scale 0.25 --tokens-scale 0.25 --rate 1 --dump-trace /tmp/hostx/ref/$w.jsonl > /dev/null 2>&1; done
md5sum /tmp/hostx/traces/*.jsonl /tmp/hostx/ref/*.jsonl
S=/work/main/docs/results/hostx-2026-12-05e/trace_stats.py; P=/work/main/.venv/bin/python
echo "lats KV-bound:"; $P $S /tmp/hostx/traces/lats.jsonl 40 /tmp/hostx/ref/lats.jsonl 4
echo "react KV-bound:"; $P $S /tmp/hostx/traces/react.jsonl 300 /tmp/hostx/ref/react.jsonl 40
echo "lats batch-bound:"; $P $S /tmp/hostx/traces/lats.jsonl 40 /tmp/hostx/ref/lats.jsonl 3
