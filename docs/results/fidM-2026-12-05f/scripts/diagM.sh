#!/bin/bash
# window M, diagnostics (not verdicts): the same report with another profile, over the same real runs
# (symlinked). usage: FID_CODE=... FID_TRACES=... /work/wt/shared timeout 590 bash diagM.sh NAME PROFILE N
#   NAME Lcal: window L's calibration (the method before 2026-12-05 (f), same host)
R=${FID_CODE:?}; N=${1:?}; PROF=${2:?}; REPS=${3:-6}; D=/tmp/fidM/diag-$N
for f in ca mr; do mkdir -p $D/$f; for x in real steps machine; do ln -sfn /tmp/fidM/M/$f/$x $D/$f/$x; done; done
FID_OUT=$D FID_PROFILE=$PROF bash /work/main/docs/results/fidM-2026-12-05f/scripts/predM.sh $REPS
