#!/bin/bash
# window H's predictions (pre-registered in ../README.md), from the frozen code:
#   a: H/calibration.json (same window, the new calibrate)      -> H/sim-a
#   b: the packaged per-host profile of the frozen commit       -> H/sim-b
#   c: chunk merge alone (main + chunk-merge.patch, /tmp/sf5/code-cm) with H's calibration,
#      frontend_step_delay_s = its burst mean (fit.burst_delay_ms), no stream/call parts -> H/sim-c
# usage: FID_CODE=/tmp/sf5-win/<commit> FID_OUT=/tmp/sf5-H /work/wt/shared timeout 900 bash pred.sh
R=${FID_CODE:?}; D=$(realpath ${FID_OUT:?}); S=$(dirname $(realpath $0))
ARGS=(/tmp/sf5/ca8123.jsonl $D/mr/trace.jsonl 8123 9317)
export CA_RATES=2,12 MR_RATES=2,4
echo "pred start $(date -u +%FT%TZ)" >> $D/windows.txt
FID_CODE=$R bash $S/side.sh $D/calibration.json $D/sim-a "${ARGS[@]}" &
FID_CODE=$R bash $S/side.sh $R/vllm_nexus/perf/profiles/cpu-here-c268a9353dec.json $D/sim-b "${ARGS[@]}"
wait
/work/main/.venv/bin/python - $D <<'PY'
import json, sys
d = json.load(open(f"{sys.argv[1]}/calibration.json"))
h = d["hardware"]
h["frontend_step_delay_s"] = d["fit"]["burst_delay_ms"] / 1e3
for k in ("frontend_stream_delay_s", "frontend_call_delay_s"):
    h.pop(k, None)
json.dump(d, open(f"{sys.argv[1]}/calibration-cm.json", "w"), indent=1)
PY
FID_CODE=/tmp/sf5/code-cm bash $S/side.sh $D/calibration-cm.json $D/sim-c "${ARGS[@]}"
echo "pred end $(date -u +%FT%TZ)" >> $D/windows.txt
