#!/bin/bash
# 2026-12-04: plain.sh with the bench client reniced to -10 as soon as it starts (diagnostic:
# are the client's event-loop stalls CPU starvation by the server's threads?).
#   /work/wt/exclusive timeout 600 bash docs/results/stalls-2026-12-04/niced.sh /tmp/stalls-niced
( while true; do for p in $(pgrep -f "vllm_nexus.cli bench"); do renice -n -10 -p $p >/dev/null 2>&1; done; sleep 0.2; done ) &
W=$!
bash "$(dirname "$0")/plain.sh" "$@"
kill $W
