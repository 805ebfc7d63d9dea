#!/bin/bash
# window U, diagnostics (not verdicts): the same report with another profile, over the same real
# runs (symlinked). usage: FID_CODE=... FID_TRACES=... /work/wt/shared timeout 590 bash diagU.sh NAME PROFILE N
#   NAME start: the start calibration alone (windows I-O's protocol); end: the end calibration alone
R=${FID_CODE:?}; N=${1:?}; PROF=${2:?}; REPS=${3:-4}; D=/tmp/fidU/diag-$N
for f in ca mr; do mkdir -p $D/$f; for x in real steps machine; do ln -sfn /tmp/fidU/U/$f/$x $D/$f/$x; done; done
FID_OUT=$D FID_PROFILE=$PROF bash /work/main/docs/results/fidU-2026-12-06/scripts/predU.sh $REPS
