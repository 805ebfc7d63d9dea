#!/bin/bash
# window X, diagnostics (not verdicts): the same report with another profile, over the same real
# runs (symlinked). usage: FID_CODE=... FID_TRACES=... /work/wt/shared timeout 590 bash diagX.sh NAME PROFILE N
#   NAME bracket: the median fit of the six calibration servers (U's profile); start: the start calibration alone
R=${FID_CODE:?}; N=${1:?}; PROF=${2:?}; REPS=${3:-4}; D=/tmp/fidX/diag-$N
for f in ca mr; do mkdir -p $D/$f; for x in real steps machine; do ln -sfn /tmp/fidX/X/$f/$x $D/$f/$x; done; done
FID_OUT=$D FID_PROFILE=$PROF bash /work/main/docs/results/fidX-2026-12-06/scripts/predX.sh $REPS
