#!/bin/bash
S=/work/main/docs/results/lean-2026-12-06/posthoc_median.sh
FL=/work/main/docs/results/fidY-2026-12-06/scripts/floorY.py
echo "start $(date -u +%T)"
bash $S AB fidAB-2026-12-06 44927 66181 6 $FL; echo "AB done $(date -u +%T)"
bash $S AA fidAA-2026-12-06 61729 38461 4 $FL; echo "AA done $(date -u +%T)"
bash $S Z fidZ-2026-12-06 83617 19382 4 $FL; echo "Z done $(date -u +%T)"
bash $S Y fidY-2026-12-06 70913 45127 6 $FL; echo "Y done $(date -u +%T)"
bash $S X fidX-2026-12-06 61847 27491 6 $FL; echo "X done $(date -u +%T)"
bash $S W fidW-2026-12-06 58213 73904 6 $FL; echo "W done $(date -u +%T)"
bash $S V fidV-2026-12-06 47316 81529 6 $FL; echo "V done $(date -u +%T)"
