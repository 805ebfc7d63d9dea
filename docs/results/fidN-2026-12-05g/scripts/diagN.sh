#!/bin/bash
# window N, diagnostics (not verdicts): the same report with another profile, over the same real runs
# (symlinked). usage: FID_CODE=... FID_TRACES=... /work/wt/shared timeout 590 bash diagN.sh NAME PROFILE N
#   NAME Mcal: window M's calibration (the packaged profile before this window, same host)
R=${FID_CODE:?}; N=${1:?}; PROF=${2:?}; REPS=${3:-6}; D=/tmp/fidN/diag-$N
for f in ca mr; do mkdir -p $D/$f; for x in real steps machine; do ln -sfn /tmp/fidN/N/$f/$x $D/$f/$x; done; done
FID_OUT=$D FID_PROFILE=$PROF bash /work/main/docs/results/fidN-2026-12-05g/scripts/predN.sh $REPS
