#!/bin/bash
# window O, diagnostics (not verdicts): the same report with another profile, over the same real runs
# (symlinked). usage: FID_CODE=... FID_TRACES=... /work/wt/shared timeout 590 bash diagO.sh NAME PROFILE N
#   NAME Ncal: window N's calibration (the packaged profile before this window, same host)
R=${FID_CODE:?}; N=${1:?}; PROF=${2:?}; REPS=${3:-6}; D=/tmp/fidO/diag-$N
for f in ca mr; do mkdir -p $D/$f; for x in real steps machine; do ln -sfn /tmp/fidO/O/$f/$x $D/$f/$x; done; done
FID_OUT=$D FID_PROFILE=$PROF bash /work/main/docs/results/fidO-2026-12-05g/scripts/predO.sh $REPS
