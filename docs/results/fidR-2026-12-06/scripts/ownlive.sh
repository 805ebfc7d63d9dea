#!/bin/bash
# post hoc: the bracket fit with the window's own live-measured fields (--live-from start end)
cd /work/main; VN=".venv/bin/python -m vllm_nexus.cli"
for W in P Q R; do
  case $W in P) T=/tmp/fidP; S=docs/results/fidP-2026-12-05h/scripts/diagP.sh; N=4;; Q) T=/tmp/fidQ; S=docs/results/fidQ-2026-12-06/scripts/diagQ.sh; N=6;; R) T=/tmp/fidR; S=docs/results/fidR-2026-12-06/scripts/diagR.sh; N=4;; esac
  D=$T/$W; LOGS=$(ls $D/calibration-start-steps*.jsonl $D/calibration-end-steps*.jsonl | grep -v machine)
  echo "$W fit $(date -u +%T)"
  $VN simulate calibrate --from-log $LOGS --live-from $D/calibration-start.json $D/calibration-end.json --out $D/calibration-ownlive.json > $T/ownlive-fit.out 2>&1 || echo "fit rc=$?"
  FID_CODE=$T/code FID_TRACES=$T/traces timeout 590 bash $S ownlive $D/calibration-ownlive.json $N > $T/diag-ownlive.out 2>&1; echo "$W diag rc=$? $(date -u +%T)"
done
