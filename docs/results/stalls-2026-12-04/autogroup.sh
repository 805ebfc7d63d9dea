#!/bin/bash
# 2026-12-04: plain.sh with the bench client's autogroup at nice -10 (Linux autogroup is on
# here: each `vllm serve` runs in its own session, hence its own autogroup, and a plain nice
# acts only inside an autogroup). Diagnostic only.
#   /work/wt/exclusive timeout 600 bash docs/results/stalls-2026-12-04/autogroup.sh /tmp/stalls-ag
( while true; do for p in $(pgrep -f "vllm_nexus.cli bench"); do echo -10 > /proc/$p/autogroup 2>/dev/null; done; sleep 0.2; done ) &
W=$!
bash "$(dirname "$0")/plain.sh" "$@"
kill $W
