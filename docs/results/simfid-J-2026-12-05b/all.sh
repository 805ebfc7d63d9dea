#!/bin/bash
cd /tmp/simJ/code && export PYTHONPATH=/tmp/simJ/code
VN="/work/main/.venv/bin/python -m vllm_nexus.cli"
echo "traces start $(date -u +%FT%TZ)"
/work/wt/shared bash -c "$VN bench --workload coding-agent --programs 300 --seed 9433 --calls-scale 0.25 --tokens-scale 0.25 --rate 1 --dump-trace /tmp/simJ/traces/ca9433.jsonl > /tmp/simJ/trace-ca.out 2>&1; $VN bench --workload map-reduce --programs 300 --seed 6529 --calls-scale 0.25 --tokens-scale 0.25 --rate 1 --dump-trace /tmp/simJ/traces/mr6529.jsonl > /tmp/simJ/trace-mr.out 2>&1"
echo "traces end $(date -u +%FT%TZ)"; md5sum /tmp/simJ/traces/*.jsonl
echo "win queued $(date -u +%FT%TZ)"
FID_CODE=/tmp/simJ/code FID_OUT=/tmp/simJ/J FID_TRACES=/tmp/simJ/traces /work/wt/exclusive timeout 1500 bash /work/main/docs/results/simfid-J-2026-12-05b/win.sh > /tmp/simJ/win.out 2>&1; echo "win rc=$? end $(date -u +%FT%TZ)"
FID_CODE=/tmp/simJ/code FID_OUT=/tmp/simJ/J FID_TRACES=/tmp/simJ/traces /work/wt/shared timeout 900 bash /work/main/docs/results/simfid-J-2026-12-05b/pred.sh > /tmp/simJ/pred.out 2>&1; echo "pred rc=$? end $(date -u +%FT%TZ)"
