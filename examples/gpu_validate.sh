#!/usr/bin/env bash
# Validate the vllm-nexus prefill/decode split on ONE CUDA GPU (written for an H100; never run
# by the authors — no GPU was available where it was written). Run from the repository root
# after `make install` on the GPU host:
#
#   MODEL=meta-llama/Llama-3.1-8B-Instruct examples/gpu_validate.sh
#
# Steps: (1) what the device offers (green contexts, SMs); (2) the gpu-marked unit tests (real
# green-context pairs); (3) greedy token-for-token equality, split forced on vs stock worker
# (tests/test_worker_e2e.py, tiny model); (4) a measured cost profile for MODEL;
# (5) TTFT/TBT/throughput, stock vs vllm-nexus, same trace, with `vllm-nexus bench`.
# Outputs go to ${OUT:-gpu_validate_out}/.
set -euo pipefail

MODEL=${MODEL:?set MODEL to a model path or name}
PY=${PY:-.venv/bin/python}
OUT=${OUT:-gpu_validate_out}
PORT=${PORT:-18480}
RATE=${RATE:-2}
PROGRAMS=${PROGRAMS:-100}
mkdir -p "$OUT"

echo "== 1. device"
nvidia-smi --query-gpu=name,compute_cap,memory.total --format=csv
$PY - <<'PY'
from vllm_nexus.split import backends as gpu
s = gpu.probe()
print("green contexts:", s.green_contexts, "(driver API:", s.driver_green_contexts,
      ", torch:", s.torch_green_contexts, ")", s.reason)
if not s.cuda:
    raise SystemExit("no CUDA device visible")
PY

echo "== 2. gpu-marked tests (green-context pairs, stream selection)"
$PY -m pytest -q -m gpu tests/test_partition_gpu.py

echo "== 3. correctness: split=sequential and split=concurrent vs stock worker, greedy, token for token"
# The split needs synchronous scheduling and the V1 model runner (see docs/nexus.md).
VLLM_USE_V2_MODEL_RUNNER=0 NEXUS_E2E_EXTRA_ARGS="--no-async-scheduling" \
  $PY -m pytest -q tests/test_worker_e2e.py

echo "== 4. measured cost profile for $MODEL"
$PY -m vllm_nexus.cli profile --model "$MODEL" -o "$OUT/profile.json"

serve() {  # $1 = label, rest = extra args
  local label=$1; shift
  $PY -m vllm.entrypoints.openai.api_server --model "$MODEL" --port "$PORT" \
    --host 127.0.0.1 "$@" > "$OUT/server-$label.log" 2>&1 &
  SERVER=$!
  for _ in $(seq 600); do
    curl -sf "http://127.0.0.1:$PORT/health" >/dev/null && return 0
    kill -0 "$SERVER" 2>/dev/null || { tail -50 "$OUT/server-$label.log"; exit 1; }
    sleep 1
  done
  echo "server $label did not start"; kill "$SERVER"; exit 1
}
stop() { kill "$SERVER"; wait "$SERVER" || true; }
bench() {  # $1 = label
  $PY -m vllm_nexus.cli bench --base-url "http://127.0.0.1:$PORT" --workload mixed \
    --rate "$RATE" --programs "$PROGRAMS" --seed 1 --run-salt "$1" --label "$1" \
    --out "$OUT/bench-$1.json" --no-progress
}

echo "== 5. TTFT/TBT/throughput: stock vs vllm-nexus (same trace)"
serve stock
bench stock
stop
for MODE in sequential concurrent; do
  CFG="{\"vllm_nexus\": {\"partition\": {\"split\": \"$MODE\", \"profile\": \"$OUT/profile.json\"}}}"
  VLLM_USE_V2_MODEL_RUNNER=0 serve "nexus-$MODE" --enforce-eager --no-async-scheduling \
    --scheduler-cls vllm_nexus.Scheduler --worker-cls vllm_nexus.Worker --additional-config "$CFG"
  bench "nexus-$MODE"
  stop
done
$PY -m vllm_nexus.cli bench compare "$OUT/bench-stock.json" "$OUT/bench-nexus-sequential.json" \
  "$OUT/bench-nexus-concurrent.json" | tee "$OUT/compare.md"
echo "NOTE: split=sequential runs the two sub-batches one after the other on their SM"
echo "partitions (correctness/partition check; expected slower than stock). split=concurrent"
echo "overlaps them on disjoint green-context partitions, in eager mode (no CUDA graphs);"
echo "it has never been run on a GPU by us: please report the compare table. See docs/nexus.md."
