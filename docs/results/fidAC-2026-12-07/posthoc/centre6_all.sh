#!/bin/bash
S=/work/main/docs/results/fidAC-2026-12-07/posthoc/centre6.sh
FL=/work/main/docs/results/fidY-2026-12-06/scripts/floorY.py
echo "start $(date -u +%T)"
bash $S AC fidAC-2026-12-07 51873 70429 6 $FL /tmp/cen6/AC
for w in "AB fidAB-2026-12-06 44927 66181 6" "AA fidAA-2026-12-06 61729 38461 4" "Z fidZ-2026-12-06 83617 19382 4" "Y fidY-2026-12-06 70913 45127 6" "X fidX-2026-12-06 61847 27491 6" "W fidW-2026-12-06 58213 73904 6" "V fidV-2026-12-06 47316 81529 6"; do
  set -- $w; mkdir -p /tmp/cen6/$1; cp /tmp/medby/$1/*-server?.json /tmp/cen6/$1/
  bash $S $1 $2 $3 $4 $5 $FL /tmp/cen6/$1
done
echo "done $(date -u +%T)"
