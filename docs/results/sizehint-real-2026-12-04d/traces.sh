#!/bin/bash
# Fresh traces nobody tuned on (seed 31 coding-agent, seed 33 mixed; CPU scales as every
# real-engine section), written to /tmp/shr/traces, and their totals per program prefix.
set -e
D=$(cd "$(dirname "$0")" && pwd); T=$(cd "$D/../../.." && pwd)
mkdir -p /tmp/shr/traces
cd "$T"
for ws in coding-agent:31 mixed:33; do
  w=${ws%%:*}; s=${ws##*:}
  PYTHONPATH=$T /work/main/.venv/bin/python -m vllm_nexus.cli bench --workload $w --programs 300 \
    --seed $s --calls-scale 0.25 --tokens-scale 0.25 --rate 1 --dump-trace /tmp/shr/traces/$w$s.jsonl
done
md5sum /tmp/shr/traces/*.jsonl
/work/main/.venv/bin/python - <<'PY'
import json
for f in ("coding-agent31", "mixed33"):
    progs = [json.loads(l) for l in open(f"/tmp/shr/traces/{f}.jsonl")]
    for n in (40, 60, 80, 100, 120, 150):
        ps = progs[:n]
        calls = sum(len(p["calls"]) for p in ps)
        out = sum(c["output_tokens"] for p in ps for c in p["calls"])
        prompt = sum(c["prompt_tokens"] for p in ps for c in p["calls"])
        print(f"{f} first {n}: {calls} calls, {out} output tokens, {prompt} new prompt tokens")
PY
# the tiny model the servers load (examples/bench_sweep.py's default path in this tree)
PYTHONPATH=$T /work/main/.venv/bin/python -c "
from vllm_nexus.serving.tiny_model import build_tiny_model
print('tiny model', build_tiny_model('$T/.cache/tiny-model'))"
